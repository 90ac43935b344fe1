package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/voxguard/voxguard/server"
	"github.com/voxguard/voxguard/store"
)

func init() {
	register(command{
		name:    "keys",
		summary: "manage API keys of a store with the server stopped (keys create|list|revoke --data DIR)",
		run:     runKeys,
	})
}

const keysUsage = "usage: voxguard keys create --data DIR --role ingest|agent|analyst|auditor|admin [--label TEXT]\n" +
	"       voxguard keys list --data DIR\n       voxguard keys revoke --data DIR ID"

func runKeys(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "list" && args[0] != "revoke") {
		fmt.Fprintln(stderr, keysUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return usageErrorf("expected subcommand create, list or revoke")
	}
	sub := args[0]
	var sf storeFlags
	fs := newFlagSet("keys "+sub, "--data DIR [--key-file F]", stderr)
	sf.register(fs)
	role := fs.String("role", "", "`role` of the new key: ingest, agent, analyst, auditor or admin")
	label := fs.String("label", "", "free-text `label`, e.g. \"genesys prod\"")
	rest := args[1:]
	var id string
	if sub == "revoke" && len(rest) > 0 && rest[0] != "" && rest[0][0] != '-' {
		id, rest = rest[0], rest[1:]
	}
	if done, err := parseFlags(fs, rest); done {
		return err
	}
	var opts store.Options
	var err error
	if sub == "create" {
		if !store.Role(*role).Valid() {
			return usageErrorf("--role must be ingest, agent, analyst, auditor or admin")
		}
		opts, err = sf.serveOptions(stderr) // bootstrapping may create the store
	} else {
		opts, err = sf.options()
	}
	if err != nil {
		return err
	}
	st, err := store.Open(opts)
	if err != nil {
		return fmt.Errorf("%w (is the server running? stop it first)", err)
	}
	defer st.Close()
	switch sub {
	case "create":
		k, err := server.CreateKey(st, cliActor, store.Role(*role), *label)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "id:     %s\nrole:   %s\nkey:    %s\n", k.ID, k.Role, k.Key)
		if k.AudioHookClientSecret != "" {
			fmt.Fprintf(stdout, "audiohook client secret: %s\n  (Genesys AudioHook: API key = the key above, client secret = this)\n", k.AudioHookClientSecret)
		}
		fmt.Fprintln(stderr, "voxguard keys: the key is shown only now; the store keeps only its hash.")
	case "list":
		ks, err := st.ListAPIKeys()
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tROLE\tCREATED\tREVOKED\tLABEL")
		for _, k := range ks {
			rv := "-"
			if !k.Active() {
				rv = k.Revoked.Format("2006-01-02T15:04:05Z")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Role, k.Created.Format("2006-01-02T15:04:05Z"), rv, k.Label)
		}
		return tw.Flush()
	case "revoke":
		if id == "" {
			return usageErrorf("keys revoke needs the key ID")
		}
		if err := st.RevokeAPIKey(cliActor, id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s\n", id)
	}
	return nil
}
