// Package spoofkey reads the key files of the spoofing benchmark's data: bench/out/spoof/key.tsv
// (written by make_spoof_data.py) and perc_key.tsv (make_spoof_perc.sh), tab-separated lines of
// id, path, class, family, split and codec after a header line.
package spoofkey

import (
	"bufio"
	"os"
	"strings"
)

// Item is one recording of a key: Class is "bonafide" or "spoof", Family the synthesis family
// (or "bonafide"), Split "train" or "eval", Codec the channel ("none", "mobile", "perc").
type Item struct {
	ID, Path, Class, Family, Split, Codec string
}

// Read returns the items of the key file at path, skipping its header and malformed lines.
func Read(path string) ([]Item, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Item
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(sc.Text(), "\t")
		if len(p) != 6 || p[0] == "id" {
			continue
		}
		out = append(out, Item{ID: p[0], Path: p[1], Class: p[2], Family: p[3], Split: p[4], Codec: p[5]})
	}
	return out, sc.Err()
}
