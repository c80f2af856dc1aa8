package mailout

import (
	"bufio"
	"bytes"
	"io"
)

// dataPiece is how much of a message is written between two renewals of
// the I/O deadline.
const dataPiece = 64 << 10

// writeData writes data, a composed message, as the content of DATA. dot
// is the writer Data returned: net/textproto's dot-writer, which stuffs
// dots and normalises line endings one byte at a time into bw, the
// session's 4 KB buffered writer (a mail with a 200 KB file took 70
// writes to the connection). Here the lines before the last that end in
// CRLF and hold no other CR or LF, which is every line Compose writes,
// are dot-stuffed in place and written to bw in large pieces (bufio sends
// them to the connection without copying); the rest goes through dot,
// which also ends the data on Close. The bytes sent are the same as
// through dot alone (FuzzWriteData). The deadline is renewed before each
// piece of dataPiece bytes.
func (c *client) writeData(dot io.Writer, bw *bufio.Writer, data []byte) error {
	done, next := 0, 0 // data[:done] is written; data[done:next] is clean lines to write
	c.setDeadline()
	for {
		j := bytes.IndexByte(data[next:], '\n')
		if j < 1 || next+j+1 == len(data) || data[next+j-1] != '\r' || bytes.IndexByte(data[next:next+j-1], '\r') >= 0 {
			break // the last line, or one dot must normalise
		}
		if data[next] == '.' {
			if _, err := bw.Write(data[done:next]); err != nil {
				return err
			}
			if err := bw.WriteByte('.'); err != nil {
				return err
			}
			done = next
		}
		next += j + 1
		if next-done >= dataPiece {
			if _, err := bw.Write(data[done:next]); err != nil {
				return err
			}
			done = next
			c.setDeadline()
		}
	}
	if _, err := bw.Write(data[done:next]); err != nil {
		return err
	}
	for off := next; off < len(data); off += dataPiece {
		c.setDeadline()
		if _, err := dot.Write(data[off:min(off+dataPiece, len(data))]); err != nil {
			return err
		}
	}
	return nil
}
