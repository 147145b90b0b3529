package dev.vmbench.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run's trace ({@code trace.jsonl.gz}): one JSON line per watch event of the run's objects — VMs, VMIs,
 * DataVolumes, PVCs, snapshots, restores, migrations (by the run's label) and the events about them — and per API
 * error the harness met, each with the harness's clock ({@code t}, epoch ms). Lines are flushed as they come, so a
 * killed run keeps what it saw. Secrets are never watched, and any field that could carry secret data (user data,
 * keys, tokens, passwords) is dropped from what is written. The embedded cluster replays it
 * ({@code vmbench.embedded.replay}); the format is in docs/real-cluster.md.
 */
public final class RunTrace implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RunTrace.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Field names whose values are never written, at any depth. */
    private static final Pattern SECRET_FIELD = Pattern.compile("(?i).*(userdata|networkdata|password|token|secret"
            + "key|privatekey|private_key|ssh_keys|authorized).*");
    /** The kinds traced, by the run's label. */
    static final List<ResourceDefinitionContext> KINDS = List.of(KubeVirt.VIRTUAL_MACHINE,
            KubeVirt.VIRTUAL_MACHINE_INSTANCE, KubeVirt.DATA_VOLUME, KubeVirt.VM_SNAPSHOT, KubeVirt.VM_RESTORE,
            KubeVirt.MIGRATION);

    private final OutputStream out;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    /** Names of the objects traced, which the events traced must be about. */
    private final Set<String> names = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private RunTrace(OutputStream out) {
        this.out = out;
    }

    /** A trace appended to {@code file} (a new gzip member each time: readers see one stream). */
    public static RunTrace to(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            OutputStream raw = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            return new RunTrace(new GZIPOutputStream(raw, true));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the run's trace " + file, e);
        }
    }

    /** No trace: every call does nothing. */
    public static RunTrace off() {
        return new RunTrace(null);
    }

    /** Records every API answer of 400 and above the client with this interceptor gets. */
    public Interceptor interceptor() {
        return new Interceptor() {
            @Override
            public void after(HttpRequest request, HttpResponse<?> response,
                    io.fabric8.kubernetes.client.http.AsyncBody.Consumer<List<java.nio.ByteBuffer>> consumer) {
                if (response.code() >= 400) {
                    Map<String, Object> error = new LinkedHashMap<>();
                    error.put("method", request.method());
                    error.put("path", request.uri().getPath());
                    error.put("code", response.code());
                    write("apiError", null, null, error);
                }
            }
        };
    }

    /** Starts watching the run's objects in {@code namespace} and the events about them. */
    public void watch(KubernetesClient client, String namespace, String runId) {
        if (out == null) {
            return;
        }
        for (ResourceDefinitionContext kind : KINDS) {
            informers.add(client.genericKubernetesResources(kind).inNamespace(namespace).withLabel(Labels.RUN, runId)
                    .inform(handler(kind.getKind())));
        }
        informers.add(client.persistentVolumeClaims().inNamespace(namespace).withLabel(Labels.RUN, runId)
                .inform(handler("PersistentVolumeClaim")));
        // the run's Role lists events but does not watch them: they are listed every second
        events = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vmbench-trace-events");
            t.setDaemon(true);
            return t;
        });
        events.scheduleWithFixedDelay(() -> listEvents(client, namespace), 0, 1, TimeUnit.SECONDS);
    }

    /** Events about traced objects not written yet (by UID and count), newest state of each. */
    private void listEvents(KubernetesClient client, String namespace) {
        try {
            for (Event e : client.v1().events().inNamespace(namespace).list().getItems()) {
                String about = e.getInvolvedObject() == null ? "" : String.valueOf(e.getInvolvedObject().getName());
                boolean traced = names.stream().anyMatch(n -> about.equals(n) || about.startsWith(n + "-"));
                String seen = e.getMetadata().getUid() + "/" + e.getCount();
                if (traced && eventsSeen.add(seen)) {
                    Map<String, Object> event = new LinkedHashMap<>();
                    event.put("involvedObject", Map.of("kind", String.valueOf(e.getInvolvedObject().getKind()),
                            "name", about));
                    event.put("type", String.valueOf(e.getType()));
                    event.put("reason", String.valueOf(e.getReason()));
                    event.put("message", String.valueOf(e.getMessage()));
                    write("ADDED", "Event", e.getMetadata().getName(), scrub(event));
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("Listing events for the trace: {}", e.getMessage());
        }
    }

    private ScheduledExecutorService events;
    private final Set<String> eventsSeen = ConcurrentHashMap.newKeySet();

    private <T extends HasMetadata> ResourceEventHandler<T> handler(String kind) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T o) {
                seen("ADDED", o);
            }

            @Override
            public void onUpdate(T before, T after) {
                seen("MODIFIED", after);
            }

            @Override
            public void onDelete(T o, boolean unknown) {
                seen("DELETED", o);
            }

            private void seen(String type, T o) {
                names.add(o.getMetadata().getName());
                write(type, kind, o.getMetadata().getName(), object(o));
            }
        };
    }

    /** The object as traced: name, labels, annotations, owners, spec and status, without secret fields. */
    private static Map<String, Object> object(HasMetadata o) {
        Map<String, Object> whole = o instanceof GenericKubernetesResource g ? g.getAdditionalProperties()
                : JSON.convertValue(o, Map.class);
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("name", o.getMetadata().getName());
        meta.put("uid", o.getMetadata().getUid());
        if (o.getMetadata().getLabels() != null) {
            meta.put("labels", o.getMetadata().getLabels());
        }
        if (o.getMetadata().getAnnotations() != null) {
            meta.put("annotations", o.getMetadata().getAnnotations());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("metadata", meta);
        if (o instanceof PersistentVolumeClaim pvc) {
            out.put("spec", JSON.convertValue(pvc.getSpec(), Map.class));
            out.put("status", JSON.convertValue(pvc.getStatus(), Map.class));
        } else {
            out.put("spec", whole.get("spec"));
            out.put("status", whole.get("status"));
        }
        return scrub(out);
    }

    @SuppressWarnings("unchecked")
    static <T> T scrub(T value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> clean = new LinkedHashMap<>();
            map.forEach((k, v) -> {
                if (!SECRET_FIELD.matcher(String.valueOf(k)).matches()) {
                    clean.put(String.valueOf(k), scrub(v));
                }
            });
            return (T) clean;
        }
        if (value instanceof List<?> list) {
            return (T) list.stream().map(RunTrace::scrub).toList();
        }
        return value;
    }

    private synchronized void write(String event, String kind, String name, Map<String, Object> object) {
        if (out == null || closed) {
            return;
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("t", System.currentTimeMillis());
        line.put("event", event);
        if (kind != null) {
            line.put("kind", kind);
            line.put("name", name);
        }
        line.put("object", object);
        try {
            out.write((JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            LOG.warn("The run's trace could not be written ({}); it stops here", e.getMessage());
            closed = true;
        }
    }

    @Override
    public synchronized void close() {
        if (events != null) {
            events.shutdownNow();
        }
        informers.forEach(SharedIndexInformer::close);
        informers.clear();
        if (out != null && !closed) {
            closed = true;
            try {
                out.close();
            } catch (IOException e) {
                LOG.warn("The run's trace did not close cleanly: {}", e.getMessage());
            }
        }
    }
}
