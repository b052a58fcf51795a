// Command ratio reads `go test -bench` output and prints, as a Markdown
// table, the median of each benchmark over its runs, and its ratio to (and
// difference from) its floor: the sibling benchmark named "floor".
//
//	go test -run '^$' -bench . -benchmem -count 6 . | go run ./bench/ratio
//
// A benchmark ".../authkit" is compared with ".../floor"; any other
// benchmark "P/name" with "P/floor" when there is one. Medians, not means,
// because a shared machine's noise comes in bursts.
package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ratio:", err)
		os.Exit(1)
	}
}

// line matches a result line: name-P  N  x ns/op  [y B/op  z allocs/op].
var line = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) B/op\s+([\d.]+) allocs/op)?`)

// runs are the measurements of one benchmark.
type runs struct {
	ns, bytes, allocs []float64
}

func run(in io.Reader, out io.Writer) error {
	all := map[string]*runs{}
	var order []string
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		r, ok := all[m[1]]
		if !ok {
			r = &runs{}
			all[m[1]] = r
			order = append(order, m[1])
		}
		r.ns = append(r.ns, num(m[2]))
		if m[3] != "" {
			r.bytes = append(r.bytes, num(m[3]))
			r.allocs = append(r.allocs, num(m[4]))
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(order) == 0 {
		return fmt.Errorf("no benchmark results in the input")
	}
	fmt.Fprintln(out, "| benchmark | runs | median time/op | B/op | allocs/op | vs floor (time) | minus floor (time) | vs floor (allocs) |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, name := range order {
		r := all[name]
		ratio, diff, allocs := "", "", ""
		if f, ok := all[floorOf(name)]; ok && f != r {
			ratio = fmt.Sprintf("%.2fx", median(r.ns)/median(f.ns))
			d := median(r.ns) - median(f.ns)
			diff = human(d)
			if d >= 0 {
				diff = "+" + diff
			}
			if len(r.allocs) > 0 && len(f.allocs) > 0 {
				allocs = fmt.Sprintf("%+.0f", median(r.allocs)-median(f.allocs))
			}
		}
		fmt.Fprintf(out, "| %s | %d | %s | %s | %s | %s | %s | %s |\n",
			strings.TrimPrefix(name, "Benchmark"), len(r.ns), human(median(r.ns)),
			orDash(r.bytes), orDash(r.allocs), ratio, diff, allocs)
	}
	return nil
}

// floorOf names the floor a benchmark is compared with.
func floorOf(name string) string {
	parent, last, ok := cut(name)
	if !ok || last == "floor" {
		return ""
	}
	return parent + "/floor"
}

func cut(name string) (parent, last string, ok bool) {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return "", "", false
	}
	return name[:i], name[i+1:], true
}

func num(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func orDash(v []float64) string {
	if len(v) == 0 {
		return "-"
	}
	return strconv.FormatFloat(median(v), 'f', 0, 64)
}

// human prints nanoseconds in the unit that suits them.
func human(ns float64) string {
	switch a := math.Abs(ns); {
	case a >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case a >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}
