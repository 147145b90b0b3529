package dev.vmbench.guest;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * One stream of a guest's answer, kept up to a limit: a broken or hostile image could otherwise fill the heap. Past the
 * limit nothing more is kept and {@code onOverflow} runs once (the caller closes the channel, so the rest is not even
 * received).
 */
final class BoundedOutput extends OutputStream {

    /** The most of one answer's stdout vmbench reads from a guest (fio's json+ of a large job is a few MiB). */
    static final int STDOUT_LIMIT = 64 << 20;
    /** The most of one answer's stderr. */
    static final int STDERR_LIMIT = 1 << 20;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final int limit;
    private final Runnable onOverflow;
    private boolean over;

    BoundedOutput(int limit, Runnable onOverflow) {
        this.limit = limit;
        this.onOverflow = onOverflow;
    }

    @Override
    public synchronized void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        if (over) {
            return;
        }
        int room = limit - bytes.size();
        bytes.write(b, off, Math.min(room, len));
        if (len > room) {
            over = true;
            onOverflow.run();
        }
    }

    synchronized boolean over() {
        return over;
    }

    synchronized String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The sentence for an answer past its limit: the VM, the command, the stream, the limit and what to do. */
    static String tooLarge(String vm, String command, String stream, int limit) {
        return "VM " + vm + " answered [" + command + "] with more than " + (limit >> 20) + " MiB on " + stream
                + ", the most vmbench reads of one answer from a guest; the rest was not read. Fix: see 'vmbench-guest "
                + "diagnose' on that VM (a broken or foreign guest image, or a job whose output is that large)";
    }
}
