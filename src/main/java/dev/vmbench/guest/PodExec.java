package dev.vmbench.guest;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link Shell} into a pod's container through the Kubernetes {@code exec} subresource (no SSH server in the pod):
 * each command is {@code bash -c} with the guest script's folder on the PATH ({@code VMBENCH_BIN}, by default
 * {@code /opt/vmbench}); stdin travels inside the command, base64-encoded, because the exec protocol the client
 * speaks ({@code v4.channel.k8s.io}) cannot close a command's stdin. The exit status comes on the error channel.
 */
public final class PodExec implements Shell {

    private final KubernetesClient client;
    private final String namespace;
    private final String pod;
    private final String container;

    public PodExec(KubernetesClient client, String namespace, String pod, String container) {
        this.client = client;
        this.namespace = namespace;
        this.pod = pod;
        this.container = container;
    }

    @Override
    public String vm() {
        return pod;
    }

    @Override
    public CommandResult exec(String command, String stdin, Duration timeout, boolean idempotent) {
        String line = "PATH=\"${VMBENCH_BIN:-/opt/vmbench}:$PATH\"; " + (stdin.isEmpty() ? command
                : "printf '%s' '" + Base64.getEncoder().encodeToString(stdin.getBytes(StandardCharsets.UTF_8))
                        + "' | base64 -d | " + command);
        java.util.concurrent.CompletableFuture<Void> overflow = new java.util.concurrent.CompletableFuture<>();
        BoundedOutput out = new BoundedOutput(BoundedOutput.STDOUT_LIMIT, () -> overflow.complete(null));
        BoundedOutput err = new BoundedOutput(BoundedOutput.STDERR_LIMIT, () -> overflow.complete(null));
        try (ExecWatch watch = client.pods().inNamespace(namespace).withName(pod).inContainer(container)
                .writingOutput(out).writingError(err).exec("bash", "-c", line)) {
            // an answer past its limit ends the exec at once
            java.util.concurrent.CompletableFuture.anyOf(watch.exitCode(), overflow).get(timeout.toMillis(),
                    TimeUnit.MILLISECONDS);
            if (out.over() || err.over()) {
                throw new GuestException(BoundedOutput.tooLarge(pod, command, out.over() ? "stdout" : "stderr",
                        out.over() ? BoundedOutput.STDOUT_LIMIT : BoundedOutput.STDERR_LIMIT));
            }
            Integer status = watch.exitCode().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (status == null || status < 0) {
                throw new GuestException("Command [" + command + "] in pod " + pod + " ended without an exit status "
                        + "(the exec stream closed early). Fix: see the pod's events and its container's state.");
            }
            return new CommandResult(status, out.text(), err.text());
        } catch (TimeoutException e) {
            throw new GuestTimeoutException("Command [" + command + "] in pod " + pod + " did not finish within "
                    + timeout.toSeconds() + "s");
        } catch (ExecutionException | KubernetesClientException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new GuestException("Command [" + command + "] in pod " + pod + " could not be run through the exec "
                    + "subresource: " + cause.getMessage() + ". Fix: the run's Role needs create and get on pods/exec "
                    + "(docs/vmbench-role.yaml), and the pod's container must be running.", cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestException("Interrupted while running [" + command + "] in pod " + pod, e);
        }
    }

    /** A pod's exec output arrives whole at the end: the lines are handed on then, so their times say nothing. */
    @Override
    public int stream(String command, Duration timeout, java.util.function.Consumer<String> line) {
        CommandResult result = exec(command, "", timeout, false);
        result.stdout().lines().map(l -> l.length() > 1024 ? l.substring(0, 1024) : l).forEach(line);
        return result.exitStatus();
    }

    @Override
    public int reconnects() {
        return 0;
    }

    @Override
    public void close() {
        // nothing held between commands
    }
}
