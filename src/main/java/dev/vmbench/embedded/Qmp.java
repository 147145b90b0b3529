package dev.vmbench.embedded;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A QEMU Machine Protocol connection: what libvirt speaks to the QEMU of a domain, here spoken by the simulated
 * virt-launcher to its QEMU guest (stop and continue for a snapshot's copy, {@code block_resize} for an expansion,
 * {@code migrate} and {@code query-migrate} for a live migration). One command at a time; asynchronous events
 * QEMU interleaves are skipped.
 */
final class Qmp implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;

    private Qmp(SocketChannel channel) {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.out = Channels.newOutputStream(channel);
    }

    /**
     * Connects to the QMP socket QEMU listens on, waiting up to {@code within} for QEMU to create it, reads the
     * greeting and leaves capabilities negotiation mode.
     */
    static Qmp connect(Path socket, Duration within) {
        AtomicReference<SocketChannel> opened = new AtomicReference<>();
        AtomicReference<String> last = new AtomicReference<>("not tried");
        try {
            await("QMP socket " + socket).pollInSameThread().atMost(within).pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(50)).until(() -> {
                        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                        try {
                            channel.connect(UnixDomainSocketAddress.of(socket));
                            opened.set(channel);
                            return true;
                        } catch (IOException e) {
                            channel.close();
                            last.set(e.toString());
                            return false;
                        }
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new IllegalStateException("QEMU's QMP socket " + socket + " did not answer within "
                    + within.toSeconds() + "s: " + last.get());
        }
        Qmp qmp = new Qmp(opened.get());
        JsonNode greeting = qmp.read();
        if (!greeting.has("QMP")) {
            qmp.close();
            throw new IllegalStateException("QEMU's QMP socket " + socket + " greeted with " + greeting);
        }
        qmp.execute("qmp_capabilities", Map.of());
        return qmp;
    }

    /**
     * Runs one command and returns its {@code return} value.
     *
     * @throws IllegalStateException with QEMU's error class and description when QEMU refuses it
     */
    synchronized JsonNode execute(String command, Map<String, Object> arguments) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("execute", command);
        if (!arguments.isEmpty()) {
            request.put("arguments", arguments);
        }
        try {
            out.write(JSON.writeValueAsBytes(request));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("QMP " + command + " could not be sent", e);
        }
        while (true) {
            JsonNode reply = read();
            if (reply.has("return")) {
                return reply.get("return");
            }
            if (reply.has("error")) {
                throw new IllegalStateException("QEMU refused " + command + ": " + reply.at("/error/class").asText()
                        + ": " + reply.at("/error/desc").asText());
            }
            // an event ({"event": ...}): not this command's answer
        }
    }

    private JsonNode read() {
        try {
            String line = in.readLine();
            if (line == null) {
                throw new IllegalStateException("QEMU closed its QMP socket");
            }
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new UncheckedIOException("QMP read failed", e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // QEMU went first: nothing left to close
        }
    }
}
