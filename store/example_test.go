package store_test

import (
	"fmt"

	"github.com/go-authkit/authkit/store"
)

// Two emails are the same account when their canonical forms are equal.
func ExampleCanonicalEmail() {
	fmt.Println(store.CanonicalEmail(" King.Arthur@Camelot.bt "))
	fmt.Println(store.CanonicalEmail("king.arthur@camelot.bt"))
	fmt.Println(store.CanonicalEmail("STRASSE@example.de") == store.CanonicalEmail("straße@example.de"))
	// Output:
	// king.arthur@camelot.bt
	// king.arthur@camelot.bt
	// true
}
