package dev.vmbench.cluster;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
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
 * harness lives. A sweep ({@code vmbench.sweep}) spares the resources of any run whose lease is still fresh, so
 * two runs sharing a namespace never delete each other's VMs. Closing it stops the renewal and deletes the lease.
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

    private RunLease(KubernetesClient client, String namespace, String name) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
    }

    /** Takes the run's lease in {@code namespace} (which must exist) and keeps it renewed until closed. */
    static RunLease take(KubernetesClient client, String namespace, String runId) {
        RunLease lease = new RunLease(client, namespace, name(runId));
        client.leases().inNamespace(namespace).resource(new LeaseBuilder().withNewMetadata().withName(lease.name)
                .addToLabels(Labels.MANAGED_BY, Labels.MANAGER).addToLabels(Labels.RUN, runId).endMetadata()
                .withNewSpec().withHolderIdentity(holder()).withLeaseDurationSeconds((int) DURATION.toSeconds())
                .withRenewTime(now()).withAcquireTime(now()).endSpec().build()).createOr(existing -> existing.update());
        lease.renewal.scheduleAtFixedRate(lease::renew, RENEW_EVERY.toSeconds(), RENEW_EVERY.toSeconds(),
                TimeUnit.SECONDS);
        return lease;
    }

    /** True while run {@code runId}'s harness renews its lease (its renewal is younger than the lease duration). */
    static boolean alive(KubernetesClient client, String namespace, String runId, Instant at) {
        Lease lease = client.leases().inNamespace(namespace).withName(name(runId)).get();
        if (lease == null || lease.getSpec() == null || lease.getSpec().getRenewTime() == null) {
            return false;
        }
        int seconds = lease.getSpec().getLeaseDurationSeconds() == null ? (int) DURATION.toSeconds()
                : lease.getSpec().getLeaseDurationSeconds();
        return lease.getSpec().getRenewTime().toInstant().plusSeconds(seconds).isAfter(at);
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

    private static ZonedDateTime now() {
        return ZonedDateTime.now(ZoneOffset.UTC);
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
