package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Exit codes, documented in the README.
const (
	exitOK        = 0
	exitNoMatch   = 1 // not recognised, verification refused
	exitUsage     = 2 // bad command line
	exitInput     = 3 // unreadable image, no face, invalid name, name taken
	exitModels    = 4 // models missing or broken
	exitDatabase  = 5 // database unreachable, wrong key
	exitInternal  = 6 // anything else
	exitNoDisplay = 7 // the window or kiosk started without a display
	// exitInterrupted is the shell's status for a command ended by SIGINT
	// (128 + 2): Ctrl-C during a check; nothing is decided or recorded.
	exitInterrupted = 130
)

// errInterrupted is a command stopped by Ctrl-C before it decided.
var errInterrupted = &exitError{code: exitInterrupted, msg: "interrupted: nothing was decided or recorded"}

// exitError carries an exit code and a message for people.
type exitError struct {
	code int
	msg  string
	err  error
}

func (e *exitError) Error() string {
	if e.err != nil && e.msg == "" {
		return e.err.Error()
	}
	return e.msg
}

func (e *exitError) Unwrap() error { return e.err }

func fail(code int, err error, format string, args ...any) error {
	return &exitError{code: code, msg: fmt.Sprintf(format, args...), err: err}
}

type command struct {
	name, args, help string
	run              func(env *env, args []string) error
}

// env is what every command gets: its output streams and the global flags.
type env struct {
	stdout, stderr io.Writer
	json           bool
	// printed is set once a JSON object went to stdout: a failure after it
	// (exit 1 after a verdict) adds no second object.
	printed bool
}

// jsonError is what --json prints for a failure with no other JSON
// output: the message also written to standard error, and the exit code.
type jsonError struct {
	Error string `json:"error"`
	Exit  int    `json:"exit"`
}

func (e *env) printJSON(v any) error {
	e.printed = true
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func commands() []command {
	return []command{
		{"detect", "[--json] [--models DIR] IMAGE...", "print the faces, 68 landmarks and descriptors in images", cmdDetect},
		{"enrol", "--user NAME [--add] [--allow-duplicate] IMAGE...", "register a user from photos (each must show exactly one sharp face, all of one person; a face enrolled under another name is refused); --add adds templates to an existing user (each photo must be accepted as them)", cmdEnrol},
		{"identify", "[--json] [--verbose] IMAGE | --camera SRC [--challenge blink,left] [--timeout 4s] [--json]", "print the enrolled user the photo shows, or \"not recognised\" (naming nobody; --verbose: for administrators); with --camera the whole login: the liveness challenge, then the decision", cmdIdentify},
		{"verify", "--user NAME [--json] [--verbose] (IMAGE | --camera SRC [--challenge blink,left] [--timeout 4s])", "check that the photo, or the person at the camera after the liveness challenge, is NAME (1:1)", cmdVerify},
		{"users", "[list | show NAME | rename OLD NEW | delete NAME | disable NAME | enable NAME]", "manage enrolled users; show lists a user's templates by kind and date", cmdUsers},
		{"liveness", "--camera SRC [--challenge blink,left] [--timeout 4s] [--json]", "run the liveness challenge (blink, head turns) on a camera or video file: exit 0 live, 1 not live", cmdLiveness},
		{"events", "[--since 24h | --from DATE --to DATE] [--user NAME] [--station S] [--kind K] [--summary] [--csv | --json]", "print the audit log, newest first, times in the local time zone", cmdEvents},
		{"import-legacy", "--from DSN", "import users from the old Flask demo's MySQL database", cmdImportLegacy},
		{"models", "install [--online] [--cnn-model PATH] [--dir DIR] | verify [--image PHOTO] [--dir DIR]", "install the three dlib models without dlib.net, or check them", cmdModels},
		{"admin", "set-pin | clear-pin [--pin-file PATH]", "set the kiosk's administrator PIN (read from the terminal, or the first line of standard input)", cmdAdmin},
		{"version", "", "print the version, the models directory and the BLAS in use", cmdVersion},
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	if len(args) > 0 {
		for _, c := range commands() {
			if args[0] == c.name {
				return finish(e, c.run(e, args[1:]))
			}
		}
		if !strings.HasPrefix(args[0], "-") {
			fmt.Fprintf(stderr, "facelogin: unknown command %q\n\n", args[0])
			usage(stderr)
			return exitUsage
		}
	}
	return finish(e, runWindow(e, args))
}

func finish(e *env, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	code, msg := exitInternal, err.Error()
	var xe *exitError
	if errors.As(err, &xe) {
		code, msg = xe.code, xe.msg
		if msg == "" && xe.err != nil {
			msg = xe.err.Error()
		}
	}
	if msg != "" && (xe == nil || xe.msg != "") {
		fmt.Fprintf(e.stderr, "facelogin: %s\n", msg)
	}
	if e.json && !e.printed {
		if msg == "" {
			msg = "exit " + strconv.Itoa(code)
		}
		_ = e.printJSON(jsonError{Error: msg, Exit: code})
	}
	return code
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage:\n  facelogin [--camera SRC] [--models DIR] [--db DSN] [--kiosk]   open the window\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  facelogin %s %s\n      %s\n", c.name, c.args, c.help)
	}
	fmt.Fprintf(w, "\nExit codes: 0 ok, 1 not recognised or not live, 2 usage, 3 bad input, 4 models, 5 database, 6 internal, 7 no display (the window or kiosk), 130 interrupted (Ctrl-C).\n")
	fmt.Fprintf(w, "With --json every outcome is one JSON object on standard output; a failure is {\"error\": MESSAGE, \"exit\": CODE}.\n")
}

// newFlags makes a command's flag set that reports errors as usage errors.
func newFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("facelogin "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parse parses a command's flags, which go before its photos and names.
func parse(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := flagAfterArgs(fs, args); err != nil {
		jsonAfterError(fs, args)
		return err
	}
	return nil
}

// parseFlags parses fs's flags from args up to the first other argument.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		jsonAfterError(fs, args)
		return &exitError{code: exitUsage, err: err}
	}
	return nil
}

// flagAfterArgs refuses one of fs's flags among the arguments after the
// first photo or name: the flag package stops at it, so `enrol --user x
// joy.jpg --json` read "--json" as a second photo. A file named like a
// flag can still be given after "--".
func flagAfterArgs(fs *flag.FlagSet, args []string) error {
	if slices.Contains(args, "--") {
		return nil
	}
	for _, a := range fs.Args() {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name != "" && fs.Lookup(name) != nil {
			return fail(exitUsage, nil, "%s: %s comes after %q: flags go before the names and photos", strings.TrimPrefix(fs.Name(), "facelogin "), a, fs.Arg(0))
		}
	}
	return nil
}

// jsonAfterError turns --json on when it is among args but the flag
// package stopped at a bad flag before it (`events --kind bogus --json`
// printed no JSON): the refusal is then the one JSON error object, as
// for every other failure.
func jsonAfterError(fs *flag.FlagSet, args []string) {
	if fs.Lookup("json") == nil {
		return
	}
	for _, a := range args {
		switch a {
		case "--":
			return
		case "-json", "--json", "-json=true", "--json=true":
			_ = fs.Set("json", "true")
			return
		}
	}
}
