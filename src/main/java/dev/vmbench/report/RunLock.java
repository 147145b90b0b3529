package dev.vmbench.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run folder's lock ({@code run.lock}), held by the one JVM that records into it: a second JVM on the same run (a
 * resume started twice) would delete the first's VMs and interleave its results, so it is refused naming the holder.
 * The lock is the operating system's, so a process that died holds nothing: its lock file is taken over, with a log
 * line naming who left it.
 */
public final class RunLock implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RunLock.class);

    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of run folder {@code dir}.
     *
     * @throws IllegalStateException naming the holder (host, pid, start time) and the fix when another JVM holds it
     */
    public static RunLock take(Path dir) {
        Path file = dir.resolve("run.lock");
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException sameJvm) {
                lock = null;
            }
            // read through this channel only: closing any other descriptor of the file would drop this process's lock
            ByteBuffer held = ByteBuffer.allocate(512);
            channel.read(held, 0);
            String holder = new String(held.array(), 0, held.position(), StandardCharsets.UTF_8).trim();
            if (lock == null) {
                channel.close();
                throw new IllegalStateException("Run folder " + dir.toAbsolutePath() + " is in use by another vmbench "
                        + "run (" + (holder.isEmpty() ? "holder unknown" : holder) + "): two runs on one folder would "
                        + "delete each other's VMs and interleave their results. Fix: wait for that run to end (or stop "
                        + "it), or start a new run instead of resuming this one.");
            }
            if (!holder.isEmpty()) {
                LOG.info("Taking over the lock of run folder {} left by a run that is no longer alive ({})", dir, holder);
            }
            ProcessHandle self = ProcessHandle.current();
            String me = "host " + java.net.InetAddress.getLocalHost().getHostName() + ", pid " + self.pid()
                    + ", started " + self.info().startInstant().map(Instant::toString).orElse("unknown");
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((me + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(true);
            return new RunLock(channel, lock);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot lock run folder " + dir.toAbsolutePath() + ". Fix: make it "
                    + "writable or set -Dvmbench.resultsDir.", e);
        }
    }

    /** Lets the folder go: the holder is cleared, and the next run may take it. */
    @Override
    public void close() {
        try {
            if (channel.isOpen()) {
                channel.truncate(0);
                lock.release();
                channel.close();
            }
        } catch (IOException e) {
            LOG.warn("Cannot release the run folder's lock: {}", e.getMessage());
        }
    }
}
