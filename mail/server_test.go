package mail

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// testCA is a self-signed certificate for 127.0.0.1, ::1 and localhost,
// made fresh for each test that needs TLS.
type testCA struct {
	server *tls.Config // for the test server
	client *tls.Config // trusts the certificate, and nothing else
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "authkit test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return testCA{
		server: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		client: &tls.Config{RootCAs: pool},
	}
}

// serverOpts shapes a test SMTP server.
type serverOpts struct {
	tls          *tls.Config   // STARTTLS is offered when set (or the listener speaks TLS when implicit)
	implicit     bool          // TLS from the first byte
	user, pass   string        // AUTH PLAIN required when user is set
	insecureAuth bool          // AUTH offered without TLS
	block        chan struct{} // when set, DATA waits until it is closed
}

// received is one message as the server saw it.
type received struct {
	from string
	to   []string
	user string // authenticated user, "" when none
	tls  bool   // whether the session ran over TLS
	data []byte
}

// testServer is a real SMTP server (emersion/go-smtp) on 127.0.0.1:0.
type testServer struct {
	host string
	port int
	got  chan received
	// dataStarted receives once for each DATA command that begins.
	dataStarted chan struct{}
	auths       atomic.Int32 // AUTH attempts
	mails       atomic.Int32 // MAIL FROM commands
	conns       atomic.Int32 // accepted connections
}

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n *atomic.Int32
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

func startServer(t *testing.T, o serverOpts) *testServer {
	t.Helper()
	ts := &testServer{host: "127.0.0.1", got: make(chan received, 16), dataStarted: make(chan struct{}, 16)}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &testSession{ts: ts, o: o, tls: isTLS}, nil
	})
	s := smtp.NewServer(be)
	s.Domain = "localhost"
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.MaxMessageBytes = 1 << 20
	s.AllowInsecureAuth = o.insecureAuth
	s.ErrorLog = testLogger{t}
	if !o.implicit {
		s.TLSConfig = o.tls
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.port = l.Addr().(*net.TCPAddr).Port
	l = countingListener{l, &ts.conns}
	if o.implicit {
		l = tls.NewListener(l, o.tls)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Serve(l) })
	t.Cleanup(func() {
		if o.block != nil {
			select {
			case <-o.block:
			default:
				close(o.block)
			}
		}
		_ = s.Close()
		// Serve may not have registered l yet when Close ran.
		_ = l.Close()
		wg.Wait()
	})
	return ts
}

// next waits for the next delivered message.
func (ts *testServer) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-ts.got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no message reached the SMTP server")
		return received{}
	}
}

// addr returns the server's host:port.
func (ts *testServer) addr() string { return net.JoinHostPort(ts.host, strconv.Itoa(ts.port)) }

type testSession struct {
	ts   *testServer
	o    serverOpts
	tls  bool
	user string
	cur  received
}

func (s *testSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *testSession) Auth(mech string) (sasl.Server, error) {
	s.ts.auths.Add(1)
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if s.o.user == "" || user != s.o.user || pass != s.o.pass {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	s.ts.mails.Add(1)
	if s.o.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = received{from: from, user: s.user, tls: s.tls}
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	select {
	case s.ts.dataStarted <- struct{}{}:
	default:
	}
	if s.o.block != nil {
		<-s.o.block
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.ts.got <- s.cur
	return nil
}

func (s *testSession) Reset()        { s.cur = received{} }
func (s *testSession) Logout() error { return nil }

// testLogger sends the server's own errors to the test log.
type testLogger struct{ t *testing.T }

func (l testLogger) Printf(format string, v ...any) { l.t.Logf("smtp server: "+format, v...) }
func (l testLogger) Println(v ...any)               { l.t.Log(append([]any{"smtp server:"}, v...)...) }
