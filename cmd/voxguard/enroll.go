package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/internal/progress"
)

func init() {
	register(command{
		name:    "enroll",
		summary: "enroll a subject on a running server from WAV files or a folder, with a quality report per file",
		run:     runEnroll,
	})
}

// problemText explains the engine's enrollment problems to a person.
var problemText = map[string]string{
	engine.ProblemNoSpeech:      "too little net speech in the file",
	engine.ProblemLowSNR:        "too noisy: SNR below the gate",
	engine.ProblemClipping:      "clipped: too loud",
	engine.ProblemSecondVoice:   "a second voice suspected",
	engine.ProblemInsufficient:  "not enough net speech in the accepted files and earlier voiceprints",
	engine.ProblemWatchlistHit:  "the voice matches a watchlist entry",
	engine.ProblemNoConsent:     "the subject has no active consent to voice verification",
	engine.ProblemNoSamples:     "nothing to enroll",
	engine.ProblemWrongStatsDim: "statistics of another model",
}

// explain joins problem codes with their explanations: "LOW_SNR (too noisy ...)".
func explain(problems []string) string {
	out := make([]string, len(problems))
	for i, p := range problems {
		if t, ok := problemText[p]; ok {
			out[i] = p + " (" + t + ")"
		} else {
			out[i] = p
		}
	}
	return strings.Join(out, ", ")
}

// collectWAVs expands arguments to WAV files: a file is taken as given; a folder is walked
// for *.wav files (any case), in sorted order. fromDir reports whether a folder was given.
func collectWAVs(args []string) (files []string, fromDir bool, err error) {
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, false, err
		}
		if !fi.IsDir() {
			files = append(files, a)
			continue
		}
		fromDir = true
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".wav") {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, false, err
		}
		if len(found) == 0 {
			return nil, false, fmt.Errorf("%s: no .wav files in the folder", a)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, fromDir, nil
}

// uploadProgress returns a progress callback drawing a bar of the bytes sent on stderr
// (redrawn in place on a terminal; otherwise a plain line every ten seconds and a last one),
// and a function that finishes it. show false draws nothing.
func uploadProgress(stderr io.Writer, label string, show bool) (Progress, func()) {
	if !show {
		return nil, func() {}
	}
	var bar *progress.Bar
	var last int64
	return func(sent, total int64) {
			if bar == nil {
				bar = progress.New(stderr, label, int(total))
			}
			bar.Add(int(sent - last))
			last = sent
			if sent == total && progress.IsTerminal(stderr) {
				bar.Done()
				fmt.Fprint(stderr, "the server is checking the recordings...\r")
			}
		}, func() {
			if bar != nil {
				bar.Done()
				if progress.IsTerminal(stderr) {
					fmt.Fprint(stderr, "\033[K") // clear the waiting note
				}
			}
		}
}

func runEnroll(args []string, stdout, stderr io.Writer) error {
	var rf remoteFlags
	fls := newFlagSet("enroll", "SUBJECT FILE.wav|FOLDER... | SUBJECT --from-call CALL [flags]", stderr)
	rf.register(fls, 10*time.Minute)
	fromCall := fls.String("from-call", "", "enroll from this `call`, ended within 30 minutes, that claimed the subject")
	noProgress := fls.Bool("no-progress", false, "draw no upload progress on stderr")
	pos, done, err := parseArgs(fls, args, 1, -1)
	if done {
		return err
	}
	subject, paths := pos[0], pos[1:]
	if (*fromCall == "") == (len(paths) == 0) {
		return usageErrorf("give WAV files or folders, or --from-call CALL (not both)")
	}
	var files []string
	var fromDir bool
	if len(paths) > 0 {
		if files, fromDir, err = collectWAVs(paths); err != nil {
			return err
		}
	}
	c, ctx, cancel, err := rf.client()
	if err != nil {
		return err
	}
	defer cancel()
	var rep engine.EnrollmentReport
	if *fromCall != "" {
		files = []string{"call:" + *fromCall}
		rep, err = c.EnrollFromCall(ctx, subject, *fromCall)
	} else {
		show := !*noProgress && (fromDir || progress.IsTerminal(stderr))
		prog, finish := uploadProgress(stderr, fmt.Sprintf("uploading %d file(s), bytes", len(files)), show)
		rep, err = c.Enroll(ctx, subject, files, prog)
		finish()
	}
	var ae *APIError
	refused := errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity && ae.Problem["report"] != nil
	if err != nil && !refused {
		err = failed("enroll "+subject, err)
		switch {
		case errors.As(err, &ae) && ae.Status == http.StatusConflict && ae.Problem["problems"] != nil:
			err = fmt.Errorf("%w; record the consent first: voxguard consent grant %s --method M --evidence REF --policy V", err, subject)
		case errors.As(err, &ae) && ae.Status == http.StatusRequestEntityTooLarge:
			err = fmt.Errorf("%w; enroll the files in smaller batches (earlier voiceprints count towards the speech minimum)", err)
		}
		return err
	}
	if rf.json {
		if err := writeJSON(stdout, rep); err != nil {
			return err
		}
	} else if err := printEnrollment(stdout, files, rep); err != nil {
		return err
	}
	if refused {
		return &exitStatus{code: exitRefused, msg: fmt.Sprintf("enroll %s: enrollment refused: %s (HTTP %d)", subject, explain(rep.Problems), ae.Status)}
	}
	return nil
}

// printEnrollment prints the quality table (one row per file) and what came of it.
func printEnrollment(w io.Writer, files []string, rep engine.EnrollmentReport) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "FILE\tSPEECH s\tSNR dB\tCLIPPING %\tSECOND VOICE\tRESULT")
	for i, s := range rep.Samples {
		name := s.Source
		if i < len(files) {
			name = files[i]
		}
		snr, clip, second := "-", "-", "-"
		if s.SNRdB != nil {
			snr = fmt.Sprintf("%.1f", *s.SNRdB)
		}
		if s.Clipping != nil {
			clip = fmt.Sprintf("%.2f", 100**s.Clipping)
		}
		if s.SecondVoiceLLR != nil {
			second = "no"
		}
		result := "accepted"
		for _, p := range s.Problems {
			if p == engine.ProblemSecondVoice {
				second = "suspected"
			}
		}
		if !s.Accepted {
			result = "refused: " + explain(s.Problems)
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%s\t%s\t%s\t%s\n", name, s.SpeechSeconds, snr, clip, second, result)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.Watchlist) > 0 {
		fmt.Fprintf(w, "\nwatchlist hits (threshold LLR %.2f):\n", rep.Threshold)
		printHits(w, rep.Watchlist)
	}
	fmt.Fprintln(w)
	if rep.Accepted {
		_, err := fmt.Fprintf(w, "enrolled %s: voiceprint %s, %.1f s of net speech (earlier voiceprints: %.1f s)\n",
			rep.SubjectID, rep.VoiceprintID, rep.SpeechSeconds, rep.PriorSeconds)
		return err
	}
	_, err := fmt.Fprintf(w, "not enrolled %s: %s\n", rep.SubjectID, explain(rep.Problems))
	return err
}

// printHits prints watchlist hits as a table.
func printHits(w io.Writer, hits []engine.WatchlistHit) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ENTRY\tLABEL\tLLR")
	for _, h := range hits {
		fmt.Fprintf(tw, "%s\t%s\t%.2f\n", h.EntryID, h.Label, h.LLR)
	}
	return tw.Flush()
}
