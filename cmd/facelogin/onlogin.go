package main

import (
	"flag"
	"log/slog"
	"time"

	"facelogin/app"
	"facelogin/internal/onlogin"
)

// onLoginFlags are --on-login and --on-login-timeout of the window and the
// kiosk.
type onLoginFlags struct {
	fs      *flag.FlagSet
	command onlogin.Flag
	timeout time.Duration
}

func addOnLoginFlags(fs *flag.FlagSet) *onLoginFlags {
	f := &onLoginFlags{fs: fs}
	fs.Var(&f.command, "on-login", `command run after each successful live login: a JSON array, program first ('["/usr/local/bin/open-door", "front"]'), or a program path; '' for none (default: the saved setting)`)
	fs.DurationVar(&f.timeout, "on-login-timeout", 0, "time limit of the on-login command, then it is stopped (default: the saved setting, else 10s)")
	return f
}

// given reports whether the flag named name was on the command line.
func (f *onLoginFlags) given(name string) bool {
	found := false
	f.fs.Visit(func(fl *flag.Flag) { found = found || fl.Name == name })
	return found
}

// forRun reports an on-login command or time limit given on the command
// line: for this run only, never saved by the Settings screen.
func (f *onLoginFlags) forRun() bool { return f.given("on-login") || f.given("on-login-timeout") }

// apply puts the flags given over the saved settings.
func (f *onLoginFlags) apply(s *app.Settings) error {
	if f.given("on-login") {
		s.OnLogin = f.command.String()
	}
	if f.given("on-login-timeout") {
		if f.timeout < time.Second || f.timeout > 10*time.Minute {
			return fail(exitUsage, nil, "--on-login-timeout %v: give 1s to 10m", f.timeout)
		}
		s.OnLoginTimeout = f.timeout
	}
	return nil
}

// runner is the on-login runner for s, nil when no command is set. The
// program is looked up now. One given with --on-login that cannot be run
// stops the program (exit 2); a saved one is logged and left off, and the
// settings say so, so that the window still opens to correct it.
func (f *onLoginFlags) runner(s app.Settings, log *slog.Logger) (*onlogin.Runner, error) {
	argv, err := onlogin.ParseArgv(s.OnLogin)
	if err == nil && argv == nil {
		return nil, nil
	}
	var r *onlogin.Runner
	if err == nil {
		r, err = onlogin.New(argv, s.OnLoginTimeout)
	}
	if err != nil {
		if f.given("on-login") {
			return nil, fail(exitUsage, err, "--on-login: %v", err)
		}
		log.Error("the saved on-login command cannot be run; it is off until corrected in Settings", "command", s.OnLogin, "err", err)
		return nil, nil
	}
	// Its arguments may hold a secret (a relay's token): the program only.
	log.Info("on-login command", "program", argv[0], "args", len(argv)-1, "timeout", s.OnLoginTimeout)
	return r, nil
}
