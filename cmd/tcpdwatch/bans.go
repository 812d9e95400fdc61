package main

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"tcpwrap/watch/alert"
	"tcpwrap/watch/ban"
)

// cmdBans: tcpdwatch bans [list] | bans lift ADDR|PREFIX.
func cmdBans(args []string, conf string, e *env) int {
	fs, c := subFlags("bans", conf)
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return usage(e, "bans: %v", err)
	}
	sub := "list"
	if len(rest) > 0 {
		sub, rest = rest[0], rest[1:]
	}
	var target string
	switch sub {
	case "list":
		if len(rest) > 0 {
			return usage(e, "bans list: unexpected argument %q", rest[0])
		}
	case "lift":
		if len(rest) != 1 {
			return usage(e, "bans lift: want one address or prefix")
		}
		target = rest[0]
	default:
		return usage(e, "bans: unknown subcommand %q (want list or lift)", sub)
	}
	path, _ := configPath(*c, e)
	cfg, err := loadConfig(path)
	if err != nil {
		return failLines(e, exitUsage, err)
	}
	if !cfg.HasBan {
		return fail(e, exitUsage, "%s has no [ban] section: there are no bans", path)
	}
	l, err := ban.Open(cfg.Ban, ban.Options{LocalAddrs: e.localAddrs})
	var dmg *ban.DamagedError
	if errors.As(err, &dmg) {
		fmt.Fprintf(e.stderr, "%s: warning: %v\n", progName, err)
		err = nil
	}
	if err != nil {
		return fail(e, exitFailure, "%v", err)
	}
	switch sub {
	case "list":
		bans, err := l.Bans()
		if err != nil {
			return fail(e, exitFailure, "%v", err)
		}
		return printBans(e, bans)
	default:
		pfx, err := ban.ParsePrefix(target)
		if err != nil {
			return usage(e, "bans lift: %v", err)
		}
		lifted, err := l.Lift(pfx)
		if err != nil {
			return fail(e, exitFailure, "%v", err)
		}
		if len(lifted) == 0 {
			return fail(e, exitFailure, "bans lift: no ban in force covers or lies within %s", pfx)
		}
		for _, b := range lifted {
			fmt.Fprintf(e.stdout, "lifted %s\n", b.Pattern())
		}
		return exitOK
	}
}

func printBans(e *env, bans []ban.Ban) int {
	if len(bans) == 0 {
		fmt.Fprintln(e.stdout, "no bans in force")
		return exitOK
	}
	now := e.now()
	tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "PATTERN\tSINCE\tUNTIL\tLEFT\tOFFENCE\tREASON")
	for _, b := range bans {
		left := b.Until.Sub(now).Round(time.Second)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", b.Pattern(), b.Since.Local().Format(time.RFC3339), b.Until.Local().Format(time.RFC3339), left, b.Offences, alert.Clean(b.Reason))
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", progName, err)
		return exitFailure
	}
	return exitOK
}
