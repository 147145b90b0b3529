package dev.vmbench.embedded;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kubelet's part for the pods vmbench creates itself (a pod baseline, label {@code vmbench.dev/baseline=pod}):
 * Pending with its container {@code ContainerCreating}, then Running and ready with a pod IP, as the kubelet reports
 * them (kubernetes {@code pkg/kubelet/kubelet_pods.go}, {@code generateAPIPodStatus}). Its container is a folder: the
 * pod's volumes are projected into it as the kubelet does (a Secret's keys as files with the volume's mode, an
 * emptyDir and the PVC as folders, the PVC listed in the container's mount table), and an exec runs real bash in it
 * with the container's environment ({@code VMBENCH_ROOT} pointing at the folder). Fault {@code pod-image-pull}: the
 * container waits in ErrImagePull, then ImagePullBackOff, for ever.
 */
final class SimulatedKubelet implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SimulatedKubelet.class);
    static final String BASELINE_LABEL = "vmbench.dev/baseline";

    private final KubernetesClient client;
    private final Path containers;
    private final boolean imagePullFails;
    private final ScheduledExecutorService steps = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "simulated-kubelet");
        t.setDaemon(true);
        return t;
    });
    /** namespace/pod → its container's folder, once it runs. */
    private final Map<String, Container> running = new ConcurrentHashMap<>();
    private SharedIndexInformer<Pod> informer;

    /** A running container: its folder and environment. */
    /** A running container: its folder, its environment, and the UID of the pod it runs for. */
    record Container(Path root, Map<String, String> env, String podUid) {
    }

    SimulatedKubelet(KubernetesClient client, Path containers, List<Fault> faults) {
        this.client = client;
        this.containers = containers;
        this.imagePullFails = faults.contains(Fault.POD_IMAGE_PULL);
    }

    void start() {
        informer = client.pods().inAnyNamespace().withLabel(BASELINE_LABEL).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                steps.schedule(() -> creating(pod), 50, TimeUnit.MILLISECONDS);
            }

            @Override
            public void onUpdate(Pod before, Pod after) {
            }

            @Override
            public void onDelete(Pod pod, boolean finalStateUnknown) {
                stop(pod);
            }
        });
    }

    /**
     * The container a pod runs, if it is running — and only for the very pod it was started for: a pod of the same
     * name created since (another UID) is none of this container's.
     */
    Optional<Container> container(String namespace, String pod) {
        Container container = running.get(namespace + "/" + pod);
        if (container == null) {
            return Optional.empty();
        }
        // from the kubelet's own informer: an API call from here would wait on the server that is asking
        Pod now = informer == null ? null : informer.getStore().getByKey(namespace + "/" + pod);
        boolean same = now != null && java.util.Objects.equals(container.podUid(), now.getMetadata().getUid());
        return same ? Optional.of(container) : Optional.empty();
    }

    private void creating(Pod pod) {
        status(pod, "Pending", waiting(pod, "ContainerCreating", null), null);
        if (imagePullFails) {
            // the image manager's first failure, then its back-off on the next sync (pkg/kubelet/images)
            String image = pod.getSpec().getContainers().get(0).getImage();
            steps.schedule(() -> status(pod, "Pending", waiting(pod, "ErrImagePull", "failed to pull and unpack image "
                    + "\"" + image + "\": not found"), null), 250, TimeUnit.MILLISECONDS);
            steps.schedule(() -> status(pod, "Pending", waiting(pod, "ImagePullBackOff", "Back-off pulling image \""
                    + image + "\""), null), 1250, TimeUnit.MILLISECONDS);
        } else {
            steps.schedule(() -> run(pod), 250, TimeUnit.MILLISECONDS);
        }
    }

    private void run(Pod pod) {
        String key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        try {
            Path root = Files.createDirectories(containers.resolve(key.replace('/', '-')));
            project(pod, root);
            Map<String, String> env = new java.util.LinkedHashMap<>();
            for (EnvVar var : pod.getSpec().getContainers().get(0).getEnv()) {
                env.put(var.getName(), var.getValue());
            }
            // the container's paths live under its folder: vmbench's own path variable is rebased onto it
            env.computeIfPresent("VMBENCH_BIN", (k, v) -> root + v);
            env.put("VMBENCH_ROOT", root.toString());
            running.put(key, new Container(root, env, pod.getMetadata().getUid()));
        } catch (IOException | RuntimeException e) {
            LOG.warn("Embedded pod {} could not start: {}", key, e.toString());
            status(pod, "Pending", waiting(pod, "CreateContainerError", e.getMessage()), null);
            return;
        }
        ContainerStatus ready = new ContainerStatusBuilder().withName(pod.getSpec().getContainers().get(0).getName())
                .withImage(pod.getSpec().getContainers().get(0).getImage()).withReady(true).withStarted(true)
                .withRestartCount(0).withNewState().withNewRunning().withStartedAt(java.time.Instant.now().toString())
                .endRunning().endState().build();
        status(pod, "Running", ready, "10.128.9." + (running.size() + 1));
        LOG.info("Embedded pod {} running (container {})", key, running.get(key).root());
    }

    /** What the kubelet mounts, in the container's folder: Secrets' keys as files, emptyDirs and PVCs as folders. */
    private void project(Pod pod, Path root) throws IOException {
        List<String> mounts = new ArrayList<>(List.of("overlay / overlay rw 0 0"));
        for (VolumeMount mount : pod.getSpec().getContainers().get(0).getVolumeMounts()) {
            Volume volume = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName()))
                    .findFirst().orElseThrow(() -> new IllegalStateException("volume " + mount.getName() + " missing"));
            Path target = Files.createDirectories(inside(root, mount.getMountPath(), "mount path"));
            if (volume.getSecret() != null) {
                Secret secret = client.secrets().inNamespace(pod.getMetadata().getNamespace())
                        .withName(volume.getSecret().getSecretName()).get();
                if (secret == null) {
                    throw new IllegalStateException("secret \"" + volume.getSecret().getSecretName() + "\" not found");
                }
                boolean executable = volume.getSecret().getDefaultMode() != null
                        && (volume.getSecret().getDefaultMode() & 0111) != 0;
                for (Map.Entry<String, String> entry : secret.getData().entrySet()) {
                    // a Secret's key is a file name (the API server's IsConfigMapKey), never a path
                    if (!entry.getKey().matches("[-._a-zA-Z0-9]+") || entry.getKey().matches("\\.{1,2}")) {
                        throw new IllegalStateException("secret \"" + volume.getSecret().getSecretName() + "\" has "
                                + "key [" + entry.getKey() + "], which is no file name");
                    }
                    Path file = target.resolve(entry.getKey());
                    Files.write(file, Base64.getDecoder().decode(entry.getValue()));
                    file.toFile().setExecutable(executable);
                }
                mounts.add("tmpfs " + mount.getMountPath() + " tmpfs ro 0 0");
            } else if (volume.getPersistentVolumeClaim() != null) {
                mounts.add("/dev/sdb " + mount.getMountPath() + " ext4 rw,relatime 0 0");
            } else {
                mounts.add("/dev/sda4 " + mount.getMountPath() + " xfs rw,relatime 0 0");
            }
        }
        Files.createDirectories(root.resolve("proc/self"));
        Files.write(root.resolve("proc/self/mounts"), mounts);
    }

    /** {@code path} (absolute in the container) within the container's folder, or a refusal naming it. */
    static Path inside(Path root, String path, String what) {
        Path resolved = root.resolve(path.replaceFirst("^/+", "")).normalize();
        if (!path.startsWith("/") || !resolved.startsWith(root.normalize())) {
            throw new IllegalStateException(what + " [" + path + "] is not an absolute path inside the container");
        }
        return resolved;
    }

    private ContainerStatus waiting(Pod pod, String reason, String message) {
        return new ContainerStatusBuilder().withName(pod.getSpec().getContainers().get(0).getName())
                .withImage(pod.getSpec().getContainers().get(0).getImage()).withReady(false).withStarted(false)
                .withRestartCount(0).withNewState().withNewWaiting().withReason(reason).withMessage(message)
                .endWaiting().endState().build();
    }

    private void status(Pod pod, String phase, ContainerStatus container, String ip) {
        try {
            client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .editStatus(p -> {
                        p.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase(phase)
                                .withContainerStatuses(container).withPodIP(ip).build());
                        return p;
                    });
        } catch (RuntimeException e) {
            // the pod was deleted meanwhile
        }
    }

    private void stop(Pod pod) {
        Container gone = running.remove(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName());
        if (gone != null) {
            kill(gone);
        }
    }

    @Override
    public void close() {
        if (informer != null) {
            informer.close();
        }
        steps.shutdownNow();
        running.values().forEach(this::kill);
    }

    /**
     * What a container still runs (a fio started in the background, which outlives the exec that started it) goes with
     * it, as with a real pod: the processes whose environment is this container's ({@code VMBENCH_ROOT} set to its
     * folder, as only the kubelet sets it) — never another process of the user whose command line names that folder.
     */
    private void kill(Container container) {
        processesOf(container.root()).forEach(ProcessHandle::destroyForcibly);
    }

    /** The processes a container in {@code folder} runs: those with its environment. */
    static java.util.List<ProcessHandle> processesOf(java.nio.file.Path folder) {
        String mine = "VMBENCH_ROOT=" + folder;
        return ProcessHandle.allProcesses().filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> environment(p).contains(mine)).toList();
    }

    /** A process's environment entries (empty when it is not the user's, or gone). */
    private static java.util.List<String> environment(ProcessHandle process) {
        try {
            byte[] raw = java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc", Long.toString(process.pid()),
                    "environ"));
            return java.util.List.of(new String(raw, java.nio.charset.StandardCharsets.UTF_8).split("\0"));
        } catch (IOException | SecurityException unreadable) {
            return java.util.List.of();
        }
    }
}
