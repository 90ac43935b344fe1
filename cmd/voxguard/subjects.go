package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/voxguard/voxguard/store"
)

func init() {
	register(command{
		name:    "subjects",
		summary: "subjects on a running server: create, show, list (personal data masked)",
		run: func(args []string, stdout, stderr io.Writer) error {
			return runGroup("subjects", subjectsCommands, args, stdout, stderr)
		},
	})
}

var subjectsCommands = []subcommand{
	{"create", "[--id ID] [--name NAME] [--phone NUMBER] [--account REF] [--from FILE] [flags]", "create a subject (personal data optional, shown masked)", runSubjectsCreate},
	{"show", "SUBJECT [flags]", "show a subject, masked", runSubjectsShow},
	{"list", "[--after ID] [--limit N] [--all] [flags]", "list subjects in id order, masked", runSubjectsList},
}

func runSubjectsCreate(args []string, stdout, stderr io.Writer) error {
	var rf remoteFlags
	fs := newFlagSet("subjects create", "[--id ID] [--name NAME] [--phone NUMBER] [--account REF] [--from FILE] [flags]", stderr)
	rf.register(fs, 30*time.Second)
	var in SubjectInput
	fs.StringVar(&in.ID, "id", "", "opaque subject `id` (default: generated; never a phone or account number)")
	fs.StringVar(&in.Name, "name", "", "the subject's full `name` (optional personal data)")
	fs.StringVar(&in.Phone, "phone", "", "phone `number`, E.164 preferred, used to find the subject from the caller's number (optional)")
	fs.StringVar(&in.AccountRef, "account", "", "the bank's account or customer `reference` (optional)")
	from := fs.String("from", "", "read the subject from a JSON `file` ({\"id\",\"name\",\"phone\",\"account_ref\"}; - for standard\ninput) instead of flags, which other users can see in the process list")
	if _, done, err := parseArgs(fs, args, 0, 0); done {
		return err
	}
	if *from != "" {
		if in != (SubjectInput{}) {
			return usageErrorf("--from replaces --id, --name, --phone and --account")
		}
		if err := readSubjectInput(*from, &in); err != nil {
			return err
		}
	}
	c, ctx, cancel, err := rf.client()
	if err != nil {
		return err
	}
	defer cancel()
	sub, err := c.CreateSubject(ctx, in)
	if err != nil {
		return failed("create subject", err)
	}
	if rf.json {
		return writeJSON(stdout, sub.Masked())
	}
	return printSubject(stdout, sub)
}

// readSubjectInput decodes a subject's JSON from path ("-": standard input), refusing unknown
// fields so that a misspelt one is not silently dropped.
func readSubjectInput(path string, in *SubjectInput) error {
	r := io.Reader(os.Stdin)
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		return usageErrorf("--from %s: %v", path, err)
	}
	return nil
}

func runSubjectsShow(args []string, stdout, stderr io.Writer) error {
	var rf remoteFlags
	fs := newFlagSet("subjects show", "SUBJECT [flags]", stderr)
	rf.register(fs, 30*time.Second)
	pos, done, err := parseArgs(fs, args, 1, 1)
	if done {
		return err
	}
	c, ctx, cancel, err := rf.client()
	if err != nil {
		return err
	}
	defer cancel()
	sub, err := c.GetSubject(ctx, pos[0])
	if err != nil {
		return failed("show subject "+pos[0], err)
	}
	if rf.json {
		return writeJSON(stdout, sub.Masked())
	}
	return printSubject(stdout, sub)
}

// printSubject prints a subject as "field: value" lines, masked (the server masks already;
// masking again is idempotent and guards against a server that did not).
func printSubject(w io.Writer, sub store.Subject) error {
	m := sub.Masked()
	tw := newTable(w)
	fmt.Fprintf(tw, "id:\t%s\n", m.ID)
	fmt.Fprintf(tw, "name:\t%s\n", orDash(m.Name))
	fmt.Fprintf(tw, "phone:\t%s\n", orDash(m.Phone))
	fmt.Fprintf(tw, "account:\t%s\n", orDash(m.AccountRef))
	fmt.Fprintf(tw, "created:\t%s\n", ts(m.Created))
	fmt.Fprintf(tw, "updated:\t%s\n", ts(m.Updated))
	return tw.Flush()
}

func runSubjectsList(args []string, stdout, stderr io.Writer) error {
	var rf remoteFlags
	fs := newFlagSet("subjects list", "[--after ID] [--limit N] [--all] [flags]", stderr)
	rf.register(fs, 30*time.Second)
	after := fs.String("after", "", "start after this subject `id` (the last of the previous page)")
	limit := fs.Int("limit", 100, "most subjects per page, 1-1000")
	all := fs.Bool("all", false, "fetch every page")
	if _, done, err := parseArgs(fs, args, 0, 0); done {
		return err
	}
	if *limit < 1 || *limit > 1000 {
		return usageErrorf("--limit must be 1-1000")
	}
	c, ctx, cancel, err := rf.client()
	if err != nil {
		return err
	}
	defer cancel()
	subs := []store.Subject{}
	for cur := *after; ; {
		page, err := c.ListSubjects(ctx, cur, *limit)
		if err != nil {
			return failed("list subjects", err)
		}
		subs = append(subs, page...)
		if !*all || len(page) < *limit {
			break
		}
		cur = page[len(page)-1].ID
	}
	if rf.json {
		for i := range subs {
			subs[i] = subs[i].Masked()
		}
		return writeJSON(stdout, subs)
	}
	tw := newTable(stdout)
	fmt.Fprintln(tw, "ID\tNAME\tPHONE\tACCOUNT\tCREATED")
	for _, s := range subs {
		m := s.Masked()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.ID, orDash(m.Name), orDash(m.Phone), orDash(m.AccountRef), ts(m.Created))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !*all && len(subs) == *limit {
		fmt.Fprintf(stderr, "(more may follow: --after %s, or --all)\n", subs[len(subs)-1].ID)
	}
	return nil
}
