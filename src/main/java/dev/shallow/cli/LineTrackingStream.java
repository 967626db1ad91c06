package dev.shallow.cli;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Standard error that remembers whether its last line is unfinished (a progress line redrawn with \r), so an error starts a line of its own. */
final class LineTrackingStream extends FilterOutputStream {
    private volatile boolean open;

    LineTrackingStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        open = b != '\n';
        out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (len > 0) open = b[off + len - 1] != '\n';
        out.write(b, off, len);
    }

    /** True when something was written since the last newline. */
    boolean lineOpen() {
        return open;
    }
}
