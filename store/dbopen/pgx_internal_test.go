package dbopen

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// testTime is a timeDest, as sqlstore's dbTime.
type testTime struct {
	t     time.Time
	valid bool
}

func (d *testTime) SetTime(t time.Time, valid bool) { d.t, d.valid = t, valid }

// decodeBinary decodes each value as pgx does, or declines it.
func TestDecodeBinary(t *testing.T) {
	m := pgtype.NewMap()
	encode := func(oid uint32, v any) []byte {
		b, err := m.Encode(oid, pgtype.BinaryFormatCode, v, []byte{}) // a row's value: empty, not NULL
		if err != nil {
			t.Fatalf("encode %v: %v", v, err)
		}
		return b
	}
	for _, s := range []string{"", "ywain@camelot.bt", "Ünïcødé ✓", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"} {
		for _, oid := range []uint32{pgtype.TextOID, pgtype.VarcharOID} {
			var got, want string
			src := encode(oid, s)
			if !decodeBinary(oid, src, &got) {
				t.Fatalf("%q declined", s)
			}
			if err := m.Scan(oid, pgtype.BinaryFormatCode, src, &want); err != nil || got != want {
				t.Errorf("%q: %q, pgx %q (%v)", s, got, want, err)
			}
		}
	}
	for _, b := range []bool{false, true} {
		var got bool
		if !decodeBinary(pgtype.BoolOID, encode(pgtype.BoolOID, b), &got) || got != b {
			t.Errorf("bool %v: %v", b, got)
		}
	}
	for _, n := range []int64{0, 1, -1, 42, math.MaxInt64, math.MinInt64} {
		var got int64
		if !decodeBinary(pgtype.Int8OID, encode(pgtype.Int8OID, n), &got) || got != n {
			t.Errorf("int8 %d: %d", n, got)
		}
		if n >= math.MinInt32 && n <= math.MaxInt32 {
			if !decodeBinary(pgtype.Int4OID, encode(pgtype.Int4OID, int32(n)), &got) || got != n {
				t.Errorf("int4 %d: %d", n, got)
			}
		}
	}
	id := uuid.New()
	var gotID uuid.UUID
	if !decodeBinary(pgtype.UUIDOID, encode(pgtype.UUIDOID, pgtype.UUID{Bytes: id, Valid: true}), &gotID) || gotID != id {
		t.Errorf("uuid %v: %v", id, gotID)
	}

	for _, tm := range []time.Time{
		time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 3, 1, 2, 3, 456789000, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC), // before the epoch, a fraction
		time.Date(1970, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
	} {
		var got testTime
		var want pgtype.Timestamptz
		src := encode(pgtype.TimestamptzOID, tm)
		if !decodeBinary(pgtype.TimestamptzOID, src, &got) {
			t.Fatalf("%v declined", tm)
		}
		if err := m.Scan(pgtype.TimestamptzOID, pgtype.BinaryFormatCode, src, &want); err != nil {
			t.Fatal(err)
		}
		if !got.valid || !got.t.Equal(want.Time) || !got.t.Equal(tm) {
			t.Errorf("%v: %v, pgx %v", tm, got.t, want.Time)
		}
	}
	for _, inf := range []pgtype.InfinityModifier{pgtype.Infinity, pgtype.NegativeInfinity} {
		got := testTime{t: time.Now()}
		if !decodeBinary(pgtype.TimestamptzOID, encode(pgtype.TimestamptzOID, pgtype.Timestamptz{InfinityModifier: inf, Valid: true}), &got) || !got.valid || !got.t.IsZero() {
			t.Errorf("%v: %v %v, want the zero time", inf, got.t, got.valid)
		}
	}
	got := testTime{t: time.Now(), valid: true}
	if !decodeBinary(pgtype.TimestamptzOID, nil, &got) || got.valid || !got.t.IsZero() {
		t.Errorf("NULL time: %v %v", got.t, got.valid)
	}

	// Declined, for pgx to decode or refuse.
	var s string
	var n int64
	var b bool
	for _, tc := range []struct {
		name string
		oid  uint32
		src  []byte
		dst  any
	}{
		{"NULL text", pgtype.TextOID, nil, &s},
		{"a name", pgtype.NameOID, []byte("x"), &s},
		{"int8 of 4 bytes", pgtype.Int8OID, []byte{0, 0, 0, 1}, &n},
		{"numeric", pgtype.NumericOID, binary.BigEndian.AppendUint64(nil, 1), &n},
		{"bool 2", pgtype.BoolOID, []byte{2}, &b},
		{"NULL uuid", pgtype.UUIDOID, nil, &gotID},
		{"short uuid", pgtype.UUIDOID, make([]byte, 15), &gotID},
		{"timestamp without zone", pgtype.TimestampOID, make([]byte, 8), &testTime{}},
		{"short time", pgtype.TimestamptzOID, make([]byte, 7), &testTime{}},
		{"year 0", pgtype.TimestamptzOID, binary.BigEndian.AppendUint64(nil, uint64(microsYear1-1)), &testTime{}},
		{"year 10000", pgtype.TimestamptzOID, binary.BigEndian.AppendUint64(nil, uint64(microsYear10000)), &testTime{}},
		{"text into a bool", pgtype.TextOID, []byte("t"), &b},
	} {
		if decodeBinary(tc.oid, tc.src, tc.dst) {
			t.Errorf("%s: decoded", tc.name)
		}
	}
}

// Any 8 bytes of a timestamptz decode to pgx's time (or its zero, for an
// infinity); only times outside the years 1-9999 are left to pgx.
func FuzzDecodeBinaryTime(f *testing.F) {
	f.Add(uint64(0))
	f.Add(uint64(math.MaxInt64))
	f.Add(uint64(1) << 63)
	f.Add(uint64(math.MaxUint64))
	f.Add(uint64(microsYear1))
	f.Add(uint64(microsYear1 - 1))
	f.Add(uint64(microsYear10000 - 1))
	m := pgtype.NewMap()
	f.Fuzz(func(t *testing.T, raw uint64) {
		src := binary.BigEndian.AppendUint64(nil, raw)
		var got testTime
		var want pgtype.Timestamptz
		if us := int64(raw); !decodeBinary(pgtype.TimestamptzOID, src, &got) {
			if us >= microsYear1 && us < microsYear10000 {
				t.Fatalf("%d declined", us)
			}
			return
		}
		if err := m.Scan(pgtype.TimestamptzOID, pgtype.BinaryFormatCode, src, &want); err != nil {
			t.Fatal(err)
		}
		if !got.valid || !got.t.Equal(want.Time) {
			t.Errorf("%d: %v, pgx %v", int64(raw), got.t, want.Time)
		}
	})
}

// ReadRow on a real connection: each column type the store reads, as pgx
// would scan it; a NULL where none belongs is an error, no row is
// sql.ErrNoRows.
func TestReadRowDecodes(t *testing.T) {
	db := testdb.Postgres(t, "pgx")
	r := PgxReader(db.DB)
	ctx := context.Background()
	id := uuid.New()
	at := time.Date(2026, 12, 3, 1, 2, 3, 456789000, time.UTC)
	var (
		gotID         uuid.UUID
		text, varchar string
		yes           bool
		big, small    int64
		when, none    testTime
		fields        sql.NullString
		again         testTime
	)
	err := r.ReadRow(ctx, `SELECT $1::uuid, 'ywain'::text, 'é'::varchar(9), true, 9007199254740993::int8, -7::int4,
		$2::timestamptz, NULL::timestamptz, NULL::text, $2::timestamptz`,
		[]any{id, at}, &gotID, &text, &varchar, &yes, &big, &small, &when, &none, &fields, &again)
	if err != nil {
		t.Fatal(err)
	}
	if gotID != id || text != "ywain" || varchar != "é" || !yes || big != 9007199254740993 || small != -7 {
		t.Errorf("got %v %q %q %v %d %d", gotID, text, varchar, yes, big, small)
	}
	if !when.valid || !when.t.Equal(at) || none.valid || fields.Valid || !again.t.Equal(at) {
		t.Errorf("times %v %v, NULL time valid %v, NULL text valid %v", when.t, again.t, none.valid, fields.Valid)
	}
	if err := r.ReadRow(ctx, `SELECT NULL::uuid`, nil, &gotID); err == nil {
		t.Error("a NULL id: no error")
	}
	if err := r.ReadRow(ctx, `SELECT NULL::text`, nil, &text); err == nil {
		t.Error("a NULL text into a string: no error")
	}
	if err := r.ReadRow(ctx, `SELECT 1::int8 WHERE false`, nil, &big); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("no row: %v, want sql.ErrNoRows", err)
	}
	if err := r.ReadRow(ctx, `SELECT 1::int8, 2::int8`, nil, &big); err == nil {
		t.Error("two columns for one destination: no error")
	}
}
