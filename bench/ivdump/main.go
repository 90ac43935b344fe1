// Command ivdump writes the raw i-vector of each listed recording (a research aid for the
// channel detector: go run ./bench/ivdump MODEL LIST > out.tsv, LIST holding "label path" lines;
// output "label path v1 ... vR", tab-separated).
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/recipe"
)

func main() {
	b, err := models.ReadBundleFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	v, err := models.NewVerifier(b)
	if err != nil {
		panic(err)
	}
	cfg, err := recipe.FrontendOf(b)
	if err != nil {
		panic(err)
	}
	f, err := os.Open(os.Args[2])
	if err != nil {
		panic(err)
	}
	var labels, paths []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 2 {
			labels, paths = append(labels, fs[0]), append(paths, fs[1])
		}
	}
	stats, err := recipe.FileStats(b, cfg, paths, runtime.NumCPU(), os.Stderr)
	if err != nil {
		panic(err)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	ws := v.NewScratch()
	for i, s := range stats {
		iv, err := v.IVector(s, ws)
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(w, "%s\t%s\t%.1f", labels[i], paths[i], s.Frames())
		for _, x := range iv {
			fmt.Fprintf(w, "\t%.5g", x)
		}
		fmt.Fprintln(w)
	}
}
