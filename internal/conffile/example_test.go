package conffile_test

import (
	"fmt"

	"tcpwrap/internal/conffile"
)

func ExampleSplit() {
	src := "# tcpdwatch.conf\n[alert]\nquiet = 10m\n\n[rule ssh]\nkind = threshold\nfile /x\n"
	secs, errs := conffile.Split([]byte(src), "tcpdwatch.conf")
	for _, s := range secs {
		fmt.Printf("line %d: [%s %s]\n", s.Line, s.Kind, s.Name)
		for _, e := range s.Entries {
			fmt.Printf("  line %d: %s = %s\n", e.Line, e.Key, e.Value)
		}
	}
	for _, err := range errs {
		fmt.Println(err)
	}
	// Output:
	// line 2: [alert ]
	//   line 3: quiet = 10m
	// line 5: [rule ssh]
	//   line 6: kind = threshold
	// tcpdwatch.conf:7: want key = value
}

func ExampleParseDuration() {
	d, err := conffile.ParseDuration("1d12h")
	fmt.Println(d, err)
	// Output: 36h0m0s <nil>
}
