package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
)

// RequestRecord is one line of -output-jsonl.
type RequestRecord struct {
	Time    time.Time   `json:"time"`
	Conn    uint64      `json:"conn"`
	VNI     uint32      `json:"vni"`
	Client  string      `json:"client"`
	Server  string      `json:"server"`
	Method  string      `json:"method"`
	Target  string      `json:"target"`
	Proto   string      `json:"proto"`
	Host    string      `json:"host,omitempty"`
	Header  [][2]string `json:"header"`
	Chunked bool        `json:"chunked,omitempty"`
	BodyLen int         `json:"body_len"`
	// Body is the body when it is valid UTF-8, else BodyBase64 holds it.
	Body       string `json:"body,omitempty"`
	BodyBase64 []byte `json:"body_base64,omitempty"`
}

type jsonlWriter struct {
	mu  sync.Mutex
	f   *os.File
	w   *bufio.Writer
	enc *json.Encoder
	err error
}

func openJSONL(path string) (*jsonlWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("output-jsonl: %w", err)
	}
	w := bufio.NewWriterSize(f, 256<<10)
	return &jsonlWriter{f: f, w: w, enc: json.NewEncoder(w)}, nil
}

func (j *jsonlWriter) write(c stream.Conn, r *httpparse.Request) {
	rec := RequestRecord{Time: time.Now().UTC(), Conn: c.ID, VNI: c.VNI, Client: c.Client.String(),
		Server: c.Server.String(), Method: r.Method, Target: r.Target, Proto: r.Proto, Host: r.Host,
		Chunked: r.Chunked, BodyLen: len(r.Body)}
	rec.Header = make([][2]string, len(r.Header))
	for i, f := range r.Header {
		rec.Header[i] = [2]string{f.Name, f.Value}
	}
	if utf8.Valid(r.Body) {
		rec.Body = string(r.Body)
	} else {
		rec.BodyBase64 = r.Body
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err == nil {
		j.err = j.enc.Encode(&rec)
	}
}

func (j *jsonlWriter) flush() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err == nil {
		j.err = j.w.Flush()
	}
	return j.err
}

func (j *jsonlWriter) close() error {
	err := j.flush()
	return errors.Join(err, j.f.Close())
}

// pcapWriter writes decapsulated frames as pcapng (one Ethernet interface
// per file; each packet comment says "vni=N", 0 when unknown).
type pcapWriter struct {
	mu  sync.Mutex
	f   *os.File
	w   *bufio.Writer
	ng  *pcapgo.NgWriter
	err error
}

func openPcap(path string) (*pcapWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("output-pcap: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	ng, err := pcapgo.NewNgWriter(w, layers.LinkTypeEthernet)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("output-pcap: %w", err), f.Close())
	}
	return &pcapWriter{f: f, w: w, ng: ng}, nil
}

func (p *pcapWriter) write(vni uint32, frame []byte, ts time.Time) {
	ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(frame), Length: len(frame)}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = p.ng.WritePacketWithOptions(ci, frame, pcapgo.NgPacketOptions{Comments: []string{"vni=" + strconv.FormatUint(uint64(vni), 10)}})
	}
}

func (p *pcapWriter) flush() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = p.ng.Flush()
	}
	if p.err == nil {
		p.err = p.w.Flush()
	}
	return p.err
}

func (p *pcapWriter) close() error {
	err := p.flush()
	return errors.Join(err, p.f.Close())
}
