package atomicfile_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"tcpwrap/internal/atomicfile"
)

func ExampleWriteFile() {
	dir, _ := os.MkdirTemp("", "atomicfile")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "deny.list")
	atomicfile.WriteFile(path, []byte("192.0.2.7\n"), 0o644)
	atomicfile.WriteFile(path, []byte("192.0.2.7\n198.51.100.0/24\n"), 0o644)
	data, _ := os.ReadFile(path)
	fmt.Print(string(data))
	// Output:
	// 192.0.2.7
	// 198.51.100.0/24
}

func ExampleMoveAside() {
	dir, _ := os.MkdirTemp("", "atomicfile")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "state.json")
	os.WriteFile(path, []byte("{not json"), 0o600)
	aside, err := atomicfile.MoveAside(path, time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	fmt.Println(filepath.Base(aside), err)
	// Output: state.json.damaged-20240501T120000Z <nil>
}
