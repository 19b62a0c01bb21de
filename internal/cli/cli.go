// Package cli is clawgov's command line: cobra commands, flags, and the one
// place where outcomes become exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/iostreams"
)

// Exit codes, documented in --help and the README.
const (
	ExitOK       = 0 // nothing at or above --fail-on
	ExitFindings = 1 // findings at or above --fail-on
	ExitUsage    = 2 // usage or input error (bad flag, unparseable config)
	ExitRun      = 3 // the run itself failed
)

const exitCodeHelp = `Exit codes:
  0  no findings at or above --fail-on
  1  findings at or above --fail-on
  2  usage or input error (bad flag, unparseable config, unreadable input)
  3  the run itself failed`

// ErrFindings means findings at or above the threshold were reported.
var ErrFindings = errors.New("findings at or above the --fail-on threshold")

// UsageError is a bad command line or bad input (exit 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(format string, a ...any) error { return &UsageError{fmt.Errorf(format, a...)} }

// factory carries what every command needs; tests replace its fields.
type factory struct {
	IO     *iostreams.IOStreams
	Getenv func(string) string
	Now    func() time.Time
	Logger *slog.Logger
	// ConfigFile is --config-file; config is clawgov.yaml once loaded.
	ConfigFile string
	config     *factoryConfig
}

// Main runs clawgov with args and returns the exit code.
func Main(args []string, io *iostreams.IOStreams) int {
	return run(args, &factory{IO: io, Getenv: os.Getenv, Now: time.Now})
}

func run(args []string, f *factory) int {
	// The log level is needed before cobra parses flags (commands log
	// while they build), so --verbose is read here as pflag would read it.
	verbose := false
	for _, a := range args {
		if a == "--" {
			break
		}
		switch {
		case a == "--verbose" || a == "-v":
			verbose = true
		case strings.HasPrefix(a, "--verbose="):
			if b, err := strconv.ParseBool(strings.TrimPrefix(a, "--verbose=")); err == nil {
				verbose = b
			}
		}
	}
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	if f.Logger == nil {
		f.Logger = slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: level}))
	}
	root := newRootCmdFor(f, commandFor(args))
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := root.ExecuteContext(ctx)
	return exitCode(f, err)
}

func exitCode(f *factory, err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, ErrFindings) {
		return ExitFindings
	}
	var ue *UsageError
	if errors.As(err, &ue) || isFlagError(err) {
		fmt.Fprintf(f.IO.ErrOut, "clawgov: %s\n", oneLine(err.Error()))
		return ExitUsage
	}
	fmt.Fprintf(f.IO.ErrOut, "clawgov: %s\n", oneLine(err.Error()))
	return ExitRun
}

// isFlagError recognises cobra's own argument and flag errors.
func isFlagError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand flag", "unknown command", "invalid argument", "flag needs an argument", "accepts ", "requires at least", "requires at most", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// oneLine keeps error output to one line, whatever the cause contains.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

func newRootCmd(f *factory) *cobra.Command { return newRootCmdFor(f, "") }

// newRootCmdFor builds the root with every command, or with only the
// named one: building all fifteen (their flags and subcommands) was a
// tenth of an audit's allocations and start-up, for commands that do not
// run.
func newRootCmdFor(f *factory, only string) *cobra.Command {
	root := &cobra.Command{
		Use:   "clawgov",
		Short: "Audit and harden OpenClaw deployments against the MIIT/NVDB six do's and six don'ts",
		Long: `clawgov audits OpenClaw deployments against the MIIT/NVDB framework
("六要六不要": six required practices, six prohibitions), with evidence for
every verdict, in Chinese and English.

` + exitCodeHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().BoolP("verbose", "v", false, "debug logging to stderr")
	registerConfigFileFlag(f, root.PersistentFlags())
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		// version must answer even next to a broken clawgov.yaml, and
		// `config` reports the file's problems itself.
		for c := cmd; c != nil; c = c.Parent() {
			// The install hook speaks OpenClaw's protocol, not a report
			// format a config could change.
			if c.Name() == "version" || c.Name() == "config" || c.Name() == "waive" || c.Name() == "hook" {
				return nil
			}
		}
		return applyConfigDefaults(f, cmd)
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{err} })
	for _, c := range topCommands() {
		if only == "" || c.name == only {
			root.AddCommand(c.build(f))
		}
	}
	return root
}

// langFlag resolves --lang, defaulting to the locale.
func resolveLang(f *factory, flag string) (catalog.Lang, error) {
	if flag == "" {
		return catalog.LangFromEnv(f.Getenv), nil
	}
	l, err := catalog.ParseLang(flag)
	if err != nil {
		return "", &UsageError{err}
	}
	return l, nil
}

// Root returns the whole command tree, wired to io, for generators of man
// pages and shell completions (internal/docgen): they must describe
// exactly the commands Main runs.
func Root(io *iostreams.IOStreams) *cobra.Command {
	return newRootCmd(&factory{IO: io, Getenv: os.Getenv, Now: time.Now, Logger: slog.New(slog.DiscardHandler)})
}
