package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkCurrentActiveUser/jwt+sqlite/authkit-2   45452   30000 ns/op   7608 B/op   132 allocs/op
BenchmarkCurrentActiveUser/jwt+sqlite/authkit-2   45452   20000 ns/op   7608 B/op   132 allocs/op
BenchmarkCurrentActiveUser/jwt+sqlite/authkit-2   45452   26000 ns/op   7608 B/op   132 allocs/op
BenchmarkCurrentActiveUser/jwt+sqlite/floor-2     58101   20000 ns/op   6248 B/op   119 allocs/op
BenchmarkLogin/floor-2                               30   30000000 ns/op   20000000 B/op   50 allocs/op
BenchmarkLogin/jwt+sqlite-2                          30   33000000 ns/op   20100000 B/op   300 allocs/op
BenchmarkLogin/cookie+sqlite-2                       30   29000000 ns/op
BenchmarkPlain-2                                    100   500 ns/op
PASS
`

func TestRun(t *testing.T) {
	var out strings.Builder
	if err := run(strings.NewReader(sample), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| CurrentActiveUser/jwt+sqlite/authkit | 3 | 26.0 µs | 7608 | 132 | 1.30x | +6.0 µs | +13 |",
		"| CurrentActiveUser/jwt+sqlite/floor | 1 | 20.0 µs | 6248 | 119 |  |  |  |",
		"| Login/jwt+sqlite | 1 | 33.00 ms | 20100000 | 300 | 1.10x | +3.00 ms | +250 |",
		"| Login/cookie+sqlite | 1 | 29.00 ms | - | - | 0.97x | -1.00 ms |  |",
		"| Plain | 1 | 500 ns | - | - |  |  |  |",
	} {
		if !strings.Contains(out.String(), want+"\n") {
			t.Errorf("missing line %q in\n%s", want, out.String())
		}
	}
}

func TestRunNoResults(t *testing.T) {
	if err := run(strings.NewReader("PASS\n"), &strings.Builder{}); err == nil {
		t.Fatal("no error for an input without results")
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
