package main

import (
	"flag"
	"fmt"
	"os"

	"facelogin/store"
)

// dbOptions are the database flags of the window and of every command that
// opens the store.
type dbOptions struct {
	dsn          *string
	passwordFile *string
	create       *bool
}

func addDBFlags(fs *flag.FlagSet) *dbOptions {
	return &dbOptions{
		dsn: fs.String("db", "", "database: mysql://user@host:3306/db, a go-sql-driver DSN, or a SQLite file "+
			"(default $FACELOGIN_DB, else ~/.config/facelogin/database, else the embedded SQLite file); "+
			"keep a password out of it: --db-password-file or $FACELOGIN_DB_PASSWORD"),
		passwordFile: fs.String("db-password-file", "", "file whose first line is the database password (mode 0600; default $FACELOGIN_DB_PASSWORD)"),
		create:       fs.Bool("create", false, "create the SQLite file given by --db if it does not exist (the default file is always created)"),
	}
}

// config resolves the database: the DSN from --db, FACELOGIN_DB or the
// settings file, the password from --db-password-file or
// FACELOGIN_DB_PASSWORD. A password on the command line is used, with a
// warning on stderr: every local user can read it with ps. It returns the
// config and where the DSN came from.
func (o *dbOptions) config(e *env) (store.Config, string, error) {
	var settings string
	if *o.dsn == "" && os.Getenv(store.DBEnv) == "" {
		path, err := store.SettingsFile()
		if err == nil {
			settings, err = store.ReadSettingsDSN(path)
		}
		if err != nil {
			return store.Config{}, "", fail(exitDatabase, err, "%v", err)
		}
	}
	dsn, source := store.ResolveDSN(*o.dsn, settings)
	if *o.dsn != "" && store.DSNHasPassword(*o.dsn) {
		fmt.Fprintf(e.stderr, "facelogin: warning: --db %s carries the database password, which every user of this computer can read (ps);"+
			" use --db-password-file, $%s or ~/.config/facelogin/database (mode 0600) instead — see README, \"The database password\"\n",
			store.RedactDSN(*o.dsn), store.PasswordEnv)
	}
	cfg := store.Config{DSN: dsn, Create: *o.create}
	switch {
	case *o.passwordFile != "":
		pw, err := store.ReadPasswordFile(*o.passwordFile)
		if err != nil {
			return store.Config{}, "", fail(exitDatabase, err, "%v", err)
		}
		cfg.Password = pw
	case os.Getenv(store.PasswordEnv) != "":
		cfg.Password = os.Getenv(store.PasswordEnv)
	}
	return cfg, source, nil
}
