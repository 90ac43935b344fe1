package store

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

const crashEnv = "VOXGUARD_STORE_CRASH_CHILD"

// TestHelperChild is the child process of TestKill9Durability: it enrolls voiceprints
// (subject, consent, voiceprint) in the directory named by $VOXGUARD_STORE_CRASH_CHILD and
// prints "ack <subject> <consent> <voiceprint>" after each enrollment commits.
func TestHelperChild(t *testing.T) {
	spec := os.Getenv(crashEnv)
	if spec == "" {
		t.Skip("helper process for TestKill9Durability")
	}
	dir, run, _ := strings.Cut(spec, "|")
	s, err := Open(testOptions(dir))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	rng := rand.New(rand.NewPCG(uint64(len(run)), 42))
	for i := 0; i < 1000; i++ {
		sub, err := s.CreateSubject("vk_child", Subject{ID: fmt.Sprintf("sub_r%s_%04d", run, i), Name: "Child Subject", Phone: "+447700900123"})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
		c, err := s.GrantConsent("vk_child", Consent{SubjectID: sub.ID, Purpose: PurposeVoiceVerification,
			Method: "ivr-recorded", EvidenceRef: "rec", PolicyVersion: "2026-01"})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
		vp, err := s.AddVoiceprint("vk_child", sampleVP(rng, sub.ID, 256, 20, 200))
		if err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
		// Acknowledge only after the commit returned.
		fmt.Fprintf(os.Stdout, "ack %s %s %s\n", sub.ID, c.ID, vp.ID)
	}
	fmt.Println("done")
	s.Close()
	os.Exit(0)
}

type ack struct{ subject, consent, voiceprint string }

// TestKill9Durability kills a writing child process with SIGKILL at random moments and
// checks that every acknowledged enrollment survives and the audit chain verifies. The
// same directory goes through every crash, so recovery is also tested after recovery.
func TestKill9Durability(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(2026, 11))
	var acked []ack
	for run := 0; run < 5; run++ {
		delay := time.Duration(rng.IntN(1500)) * time.Millisecond
		got, done := runChild(t, dir, fmt.Sprint(run), delay)
		t.Logf("run %d: killed %v after the first acknowledgement, %d acknowledged (finished: %v)", run, delay, len(got), done)
		if len(got) == 0 {
			t.Fatalf("run %d: child acknowledged nothing before the kill", run)
		}
		acked = append(acked, got...)

		s, err := Open(testOptions(dir))
		if err != nil {
			t.Fatalf("reopen after kill: %v", err)
		}
		for _, a := range acked {
			if _, err := s.GetSubject(a.subject); err != nil {
				t.Fatalf("acknowledged subject %s lost: %v", a.subject, err)
			}
			if c, ok, err := s.ActiveConsent(a.subject, PurposeVoiceVerification); err != nil || !ok || c.ID != a.consent {
				t.Fatalf("acknowledged consent %s lost: %v", a.consent, err)
			}
			if _, err := s.GetVoiceprint(a.subject, a.voiceprint); err != nil {
				t.Fatalf("acknowledged voiceprint %s lost: %v", a.voiceprint, err)
			}
		}
		rep, err := s.VerifyAudit()
		if err != nil {
			t.Fatalf("audit after kill: %v", err)
		}
		// Every acknowledged enrollment wrote three entries (plus store.init once).
		if rep.Entries < uint64(1+3*len(acked)) {
			t.Fatalf("audit has %d entries for %d enrollments", rep.Entries, len(acked))
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// runChild starts the child, waits for its first acknowledgement, sleeps delay more and
// kills it with SIGKILL. It returns the acknowledgements read from the child's stdout.
func runChild(t *testing.T, dir, run string, delay time.Duration) (acks []ack, finished bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir+"|"+run)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type result struct {
		acks     []ack
		finished bool
	}
	first := make(chan struct{})
	res := make(chan result, 1)
	go func() {
		var r result
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) == 4 && f[0] == "ack":
				r.acks = append(r.acks, ack{f[1], f[2], f[3]})
				if len(r.acks) == 1 {
					close(first)
				}
			case len(f) > 0 && f[0] == "done":
				r.finished = true
			case len(f) > 0 && f[0] == "error":
				t.Errorf("child: %s", sc.Text())
			}
		}
		res <- r
	}()
	select {
	case <-first:
		time.Sleep(delay)
	case <-time.After(30 * time.Second):
		t.Errorf("child acknowledged nothing in 30 s")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	r := <-res
	cmd.Wait()
	return r.acks, r.finished
}
