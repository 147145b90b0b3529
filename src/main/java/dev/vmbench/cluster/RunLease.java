package dev.vmbench.cluster;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.Map;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's sign of life in the cluster: a {@code coordination.k8s.io} Lease named after the run, renewed while the
 * harness lives. A sweep ({@code vmbench.sweep}) spares the resources of any run whose lease it sees renewed, so two
 * runs sharing a namespace never delete each other's VMs. Closing it stops the renewal and deletes the lease.
 */
final class RunLease implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RunLease.class);
    /** A lease not renewed for this long belongs to a harness that is gone (hard-killed, or its machine lost). */
    static final Duration DURATION = Duration.ofSeconds(60);
    private static final Duration RENEW_EVERY = Duration.ofSeconds(15);

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final ScheduledExecutorService renewal = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vmbench-run-lease");
        t.setDaemon(true);
        return t;
    });

    /** This machine's clock, as the lease's renewTime shows it to others (who never compare it with theirs). */
    private final java.time.Clock clock;

    private RunLease(KubernetesClient client, String namespace, String name, java.time.Clock clock) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
        this.clock = clock;
    }

    /** Takes the run's lease in {@code namespace} (which must exist) and keeps it renewed until closed. */
    static RunLease take(KubernetesClient client, String namespace, String runId) {
        return take(client, namespace, runId, RENEW_EVERY, java.time.Clock.systemUTC());
    }

    /** The same, renewed every {@code renewEvery} and stamped by {@code clock}: for tests of other machines. */
    static RunLease take(KubernetesClient client, String namespace, String runId, Duration renewEvery,
            java.time.Clock clock) {
        RunLease lease = new RunLease(client, namespace, name(runId), clock);
        client.leases().inNamespace(namespace).resource(new LeaseBuilder().withNewMetadata().withName(lease.name)
                .addToLabels(Labels.MANAGED_BY, Labels.MANAGER).addToLabels(Labels.RUN, runId).endMetadata()
                .withNewSpec().withHolderIdentity(holder()).withLeaseDurationSeconds((int) DURATION.toSeconds())
                .withRenewTime(lease.now()).withAcquireTime(lease.now()).endSpec().build())
                .createOr(existing -> existing.update());
        lease.renewal.scheduleAtFixedRate(lease::renew, renewEvery.toMillis(), renewEvery.toMillis(),
                TimeUnit.MILLISECONDS);
        return lease;
    }

    /**
     * The runs of {@code runIds} whose harness is alive: their lease changed (its {@code resourceVersion} moved) or
     * appeared while this watched for {@code watch} — at least one renewal period. No two machines' clocks are
     * compared: a harness whose clock is off, or whose renewal stalled for a while, is judged by whether it renews,
     * and a run whose lease is not there yet is given the whole period to take it.
     */
    static java.util.Set<String> alive(KubernetesClient client, String namespace, java.util.Collection<String> runIds,
            Duration watch) {
        Map<String, String> before = new java.util.HashMap<>();
        runIds.forEach(run -> before.put(run, version(client, namespace, run)));
        java.util.Set<String> alive = new java.util.TreeSet<>();
        try {
            org.awaitility.Awaitility.await("renewals of other runs' leases").pollInSameThread().atMost(watch)
                    .pollInterval(Duration.ofMillis(500)).until(() -> {
                        for (String run : runIds) {
                            String now = version(client, namespace, run);
                            if (now != null && !now.equals(before.get(run))) {
                                alive.add(run);
                            }
                        }
                        return alive.size() == runIds.size();
                    });
        } catch (org.awaitility.core.ConditionTimeoutException watchedLongEnough) {
            // the runs whose lease did not move in a renewal period are gone
        }
        return alive;
    }

    /** How long a sweep watches leases before it calls a run gone: a renewal period and then some. */
    static final Duration WATCH = RENEW_EVERY.plusSeconds(10);

    private static String version(KubernetesClient client, String namespace, String runId) {
        Lease lease = client.leases().inNamespace(namespace).withName(name(runId)).get();
        return lease == null ? null : lease.getMetadata().getResourceVersion();
    }

    /** The lease's name: {@code vmbench-run-<run id>}, DNS-safe. */
    static String name(String runId) {
        return ("vmbench-run-" + runId.toLowerCase(Locale.ROOT)).replaceAll("[^a-z0-9-]", "-");
    }

    private void renew() {
        try {
            client.leases().inNamespace(namespace).withName(name).edit(l -> new LeaseBuilder(l).editSpec()
                    .withRenewTime(now()).endSpec().build());
        } catch (KubernetesClientException e) {
            LOG.warn("Could not renew the run's lease {}/{}: {} (a sweep by another run may take this run's VMs "
                    + "for leftovers)", namespace, name, e.getMessage());
        }
    }

    private ZonedDateTime now() {
        return ZonedDateTime.now(clock).withZoneSameInstant(ZoneOffset.UTC);
    }

    private static String holder() {
        return ProcessHandle.current().pid() + "@" + System.getProperty("user.name", "vmbench");
    }

    @Override
    public void close() {
        renewal.shutdownNow();
        try {
            client.leases().inNamespace(namespace).withName(name).delete();
        } catch (KubernetesClientException e) {
            LOG.debug("Could not delete the run's lease {}/{}: {}", namespace, name, e.getMessage());
        }
    }
}
