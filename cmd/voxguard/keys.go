package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/voxguard/voxguard/server"
	"github.com/voxguard/voxguard/store"
)

func init() {
	register(command{
		name:    "keys",
		summary: "API keys: create, list, revoke (on a running server, or offline with --data DIR)",
		run: func(args []string, stdout, stderr io.Writer) error {
			return runGroup("keys", keysCommands, args, stdout, stderr)
		},
	})
}

var keysCommands = []subcommand{
	{"create", "--role ingest|agent|analyst|auditor|admin [--label TEXT] (--data DIR | --server URL) [flags]", "create an API key (shown once)", runKeysCreate},
	{"list", "(--data DIR | --server URL) [flags]", "list API keys (never their secrets)", runKeysList},
	{"revoke", "ID (--data DIR | --server URL) [flags]", "revoke an API key", runKeysRevoke},
}

// adminFlags are the flags of the admin commands that work either offline on a store
// (--data) or on a running server (--server).
type adminFlags struct {
	sf storeFlags
	rf remoteFlags
}

func (f *adminFlags) register(fs *flag.FlagSet) {
	f.sf.register(fs)
	f.rf.register(fs, 30*time.Second)
	fs.Lookup("data").Usage = "data `directory` of a stopped server's store (offline mode)"
	fs.Lookup("server").Usage = "server `URL` (remote mode; default $" + serverEnv + " when --data is not given)"
}

// remote reports whether to talk to a server: --server given, or $VOXGUARD_SERVER set and no
// --data.
func (f *adminFlags) remote() (bool, error) {
	if f.rf.server != "" && f.sf.data != "" {
		return false, usageErrorf("--data (offline) and --server (remote) exclude each other")
	}
	if f.rf.server != "" || (f.sf.data == "" && os.Getenv(serverEnv) != "") {
		return true, nil
	}
	if f.sf.data == "" {
		return false, usageErrorf("--data is required (or --server URL for a running server)")
	}
	return false, nil
}

// withStore opens the store of --data (opts from options or serveOptions) for fn.
func withStore(opts store.Options, fn func(st *store.Store) error) error {
	st, err := store.Open(opts)
	if err != nil {
		return fmt.Errorf("%w (is the server running? stop it first, or use --server)", err)
	}
	defer st.Close()
	return fn(st)
}

// withClient runs fn with the API client of --server.
func (f *adminFlags) withClient(fn func(c *APIClient, ctx context.Context) error) error {
	c, ctx, cancel, err := f.rf.client()
	if err != nil {
		return err
	}
	defer cancel()
	return fn(c, ctx)
}

func runKeysCreate(args []string, stdout, stderr io.Writer) error {
	var af adminFlags
	fs := newFlagSet("keys create", "--role ROLE [--label TEXT] (--data DIR | --server URL) [flags]", stderr)
	af.register(fs)
	role := fs.String("role", "", "`role` of the new key: ingest, agent, analyst, auditor or admin")
	label := fs.String("label", "", "free-text `label`, e.g. \"genesys prod\"")
	if _, done, err := parseArgs(fs, args, 0, 0); done {
		return err
	}
	if !store.Role(*role).Valid() {
		return usageErrorf("--role must be ingest, agent, analyst, auditor or admin")
	}
	remote, err := af.remote()
	if err != nil {
		return err
	}
	var k server.NewKey
	if remote {
		err = af.withClient(func(c *APIClient, ctx context.Context) error {
			k, err = c.CreateKey(ctx, *role, *label)
			return failed("create key", err)
		})
	} else {
		opts, oerr := af.sf.serveOptions(stderr) // bootstrapping may create the store
		if oerr != nil {
			return oerr
		}
		err = withStore(opts, func(st *store.Store) error {
			k, err = server.CreateKey(st, cliActor, store.Role(*role), *label)
			return err
		})
	}
	if err != nil {
		return err
	}
	if af.rf.json {
		err = writeJSON(stdout, k)
	} else {
		fmt.Fprintf(stdout, "id:     %s\nrole:   %s\nkey:    %s\n", k.ID, k.Role, k.Key)
		if k.AudioHookClientSecret != "" {
			fmt.Fprintf(stdout, "audiohook client secret: %s\n  (Genesys AudioHook: API key = the key above, client secret = this)\n", k.AudioHookClientSecret)
		}
	}
	fmt.Fprintln(stderr, "voxguard keys: the key is shown only now; the store keeps only its hash.")
	return err
}

func runKeysList(args []string, stdout, stderr io.Writer) error {
	var af adminFlags
	fs := newFlagSet("keys list", "(--data DIR | --server URL) [flags]", stderr)
	af.register(fs)
	if _, done, err := parseArgs(fs, args, 0, 0); done {
		return err
	}
	remote, err := af.remote()
	if err != nil {
		return err
	}
	ks := []KeyInfo{}
	if remote {
		err = af.withClient(func(c *APIClient, ctx context.Context) error {
			l, err := c.ListKeys(ctx)
			ks = append(ks, l...)
			return failed("list keys", err)
		})
	} else {
		opts, oerr := af.sf.options()
		if oerr != nil {
			return oerr
		}
		err = withStore(opts, func(st *store.Store) error {
			l, err := st.ListAPIKeys()
			for _, k := range l {
				ks = append(ks, KeyInfo{k.ID, string(k.Role), k.Label, k.Created, k.Revoked, k.RevokedBy})
			}
			return err
		})
	}
	if err != nil {
		return err
	}
	if af.rf.json {
		return writeJSON(stdout, ks)
	}
	tw := newTable(stdout)
	fmt.Fprintln(tw, "ID\tROLE\tCREATED\tREVOKED\tLABEL")
	for _, k := range ks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Role, ts(k.Created), ts(k.Revoked), k.Label)
	}
	return tw.Flush()
}

func runKeysRevoke(args []string, stdout, stderr io.Writer) error {
	var af adminFlags
	fs := newFlagSet("keys revoke", "ID (--data DIR | --server URL) [flags]", stderr)
	af.register(fs)
	pos, done, err := parseArgs(fs, args, 0, 1)
	if done {
		return err
	}
	if len(pos) == 0 {
		return usageErrorf("keys revoke needs the key ID")
	}
	id := pos[0]
	remote, err := af.remote()
	if err != nil {
		return err
	}
	if remote {
		err = af.withClient(func(c *APIClient, ctx context.Context) error {
			return failed("revoke key "+id, c.RevokeKey(ctx, id))
		})
	} else {
		opts, oerr := af.sf.options()
		if oerr != nil {
			return oerr
		}
		err = withStore(opts, func(st *store.Store) error { return st.RevokeAPIKey(cliActor, id) })
	}
	if err != nil {
		return err
	}
	if af.rf.json {
		return writeJSON(stdout, map[string]any{"revoked": id})
	}
	_, err = fmt.Fprintf(stdout, "revoked %s\n", id)
	return err
}
