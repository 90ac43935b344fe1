package main

import (
	"flag"

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
