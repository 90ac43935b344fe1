package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/voxguard/voxguard/store"
)

// cliActor is the audit actor for changes made by local command-line tools run by an
// operator with access to the data directory and key.
const cliActor = "cli"

// storeFlags are the flags shared by subcommands that open the store.
type storeFlags struct {
	data    string
	keyFile string
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.data, "data", "", "data `directory` of the store (required)")
	fs.StringVar(&f.keyFile, "key-file", "", "encryption key `file` (default: $"+store.KeyEnv+", else DIR.key if it exists)")
}

// options resolves the key and returns store options for an existing store.
func (f *storeFlags) options() (store.Options, error) {
	if f.data == "" {
		return store.Options{}, usageErrorf("--data is required")
	}
	key, err := store.ResolveKey(f.data, f.keyFile)
	if err != nil {
		return store.Options{}, err
	}
	return store.Options{Dir: f.data, Key: key, MustExist: true}, nil
}

// open resolves the key and opens the existing store; the caller closes it.
func (f *storeFlags) open() (*store.Store, error) {
	opts, err := f.options()
	if err != nil {
		return nil, err
	}
	return store.Open(opts)
}

// serveOptions resolves the key for `serve`, which may start a new store: with no key given by
// flag or environment and none beside the data directory, it creates a development key file
// (0600, next to the directory, never inside it) and says so on stderr.
func (f *storeFlags) serveOptions(stderr io.Writer) (store.Options, error) {
	if f.data == "" {
		return store.Options{}, usageErrorf("--data is required")
	}
	key, err := store.ResolveKey(f.data, f.keyFile)
	if errors.Is(err, store.ErrNoKey) {
		path := store.DevKeyPath(f.data)
		var created bool
		if key, created, err = store.LoadOrCreateKeyFile(path); err != nil {
			return store.Options{}, err
		}
		if created {
			fmt.Fprintf(stderr, "voxguard: created a development encryption key at %s (mode 0600).\n"+
				"  Without it the data in %s cannot be read: back it up, and in production pass\n"+
				"  --key-file or $%s from your secret manager instead.\n", path, f.data, store.KeyEnv)
		}
	}
	if err != nil {
		return store.Options{}, err
	}
	return store.Options{Dir: f.data, Key: key}, nil
}
