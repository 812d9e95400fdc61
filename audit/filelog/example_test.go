package filelog_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"tcpwrap/audit"
	"tcpwrap/audit/filelog"
)

func ExampleParseSelector() {
	sel, err := filelog.ParseSelector("*.info;mail.none;authpriv.none")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sel.Match(audit.Priority{Facility: audit.Daemon, Severity: audit.Notice}))
	fmt.Println(sel.Match(audit.Priority{Facility: audit.Daemon, Severity: audit.Debug}))
	fmt.Println(sel.Match(audit.Priority{Facility: audit.Mail, Severity: audit.Emerg}))
	fmt.Println(sel)

	_, err = filelog.ParseSelector("mail.info,news.crit")
	fmt.Println(err)
	// Output:
	// true
	// false
	// false
	// *.info;mail,authpriv.none
	// selector "mail.info,news.crit": "," after level "info": join selectors with ";"
}

func ExampleWriter() {
	dir, _ := os.MkdirTemp("", "filelog")
	defer os.RemoveAll(dir)
	info, _ := filelog.ParseSelector("daemon.info")
	w := filelog.Open(filelog.Table{
		{Selector: info, Path: filepath.Join(dir, "infolog.jsonl"), Format: filelog.JSON},
	})
	defer w.Close()
	err := w.Write(&audit.Message{
		Time:     time.Date(2026, time.November, 27, 9, 14, 3, 0, time.UTC),
		Priority: audit.Priority{Facility: audit.Daemon, Severity: audit.Info},
		AppName:  "in.telnetd", PID: 2817,
		Text: "connect from 192.0.2.7 (192.0.2.7)",
	})
	if err != nil {
		fmt.Println(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "infolog.jsonl"))
	fmt.Print(string(b))
	// Output:
	// {"time":"2026-11-27T09:14:03.000000Z","priority":"daemon.info","app":"in.telnetd","pid":2817,"text":"connect from 192.0.2.7 (192.0.2.7)"}
}
