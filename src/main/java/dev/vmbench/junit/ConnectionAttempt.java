package dev.vmbench.junit;

import java.util.concurrent.atomic.AtomicBoolean;
import org.opentest4j.TestAbortedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run's one attempt to reach its cluster: the {@link Connection}, or why there is none. A cluster that cannot
 * be reached (no kubeconfig, an API that does not answer, an expired login, a missing StorageClass) is reported
 * once, on the first test that needs it, with the whole reason; every later test is aborted (not run) instead of
 * trying again and repeating the same error.
 */
final class ConnectionAttempt implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionAttempt.class);

    private final Connection connection;
    private final RuntimeException failure;
    private final AtomicBoolean reported = new AtomicBoolean();

    private ConnectionAttempt(Connection connection, RuntimeException failure) {
        this.connection = connection;
        this.failure = failure;
    }

    static ConnectionAttempt make(Settings settings) {
        try {
            return new ConnectionAttempt(Connection.open(settings), null);
        } catch (RuntimeException e) {
            LOG.error("The run cannot reach its cluster; no test runs:\n{}", e.getMessage());
            return new ConnectionAttempt(null, e);
        }
    }

    /**
     * @throws RuntimeException the reason, the first time
     * @throws TestAbortedException afterwards: the test is not run
     */
    Connection connection() {
        if (failure == null) {
            return connection;
        }
        if (reported.compareAndSet(false, true)) {
            throw failure;
        }
        throw notRun();
    }

    /** @throws TestAbortedException if the attempt failed and a test has reported why */
    void requireReported() {
        if (failure != null && reported.get()) {
            throw notRun();
        }
    }

    private TestAbortedException notRun() {
        return new TestAbortedException("Not run: the run could not reach its cluster (the first test reports why): "
                + failure.getMessage().lines().findFirst().orElse(""));
    }

    @Override
    public void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (RuntimeException e) {
                // cleanup is best effort: what it could not do is said here, never turned into a test failure
                LOG.warn("The run's connection was not fully closed: {}", e.toString());
            }
        }
    }
}
