package sim

import (
	"io"
	"sync"
)

// DefaultMaxOutput is how many bytes of each output stream a Process keeps
// unless ExecOptions.MaxOutput says otherwise.
const DefaultMaxOutput = 1 << 20

// tailBuffer keeps the last max bytes written to it and counts the bytes it
// let go. Everything written is also copied to tee, when set; tee errors are
// ignored so a broken tee cannot stall the program.
type tailBuffer struct {
	mu      sync.Mutex
	buf     []byte
	max     int
	dropped int64
	tee     io.Writer
}

func newTailBuffer(max int, tee io.Writer) *tailBuffer {
	if max <= 0 {
		max = DefaultMaxOutput
	}
	return &tailBuffer{max: max, tee: tee}
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tee != nil {
		_, _ = b.tee.Write(p)
	}
	n := len(p)
	if n >= b.max {
		b.dropped += int64(len(b.buf) + n - b.max)
		b.buf = append(b.buf[:0], p[n-b.max:]...)
		return n, nil
	}
	if over := len(b.buf) + n - b.max; over > 0 {
		copy(b.buf, b.buf[over:])
		b.buf = b.buf[:len(b.buf)-over]
		b.dropped += int64(over)
	}
	b.buf = append(b.buf, p...)
	return n, nil
}

// snapshot returns a copy of what is kept and the count of dropped bytes.
func (b *tailBuffer) snapshot() ([]byte, int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf...), b.dropped
}
