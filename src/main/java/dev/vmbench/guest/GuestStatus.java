package dev.vmbench.guest;

import java.util.HashMap;
import java.util.Map;

/**
 * The guest script's status line: {@code state=done exit=0 started=1700000000.12 finished=1700000031.50
 * measuring=1700000000.31 armed=1700000000.20}. Times are the guest's epoch seconds; {@code NaN} where not known.
 * {@code measuring} is when fio's first job began (its {@code exec_prerun} holds it until the start instant, after fio's
 * set-up and any {@code startdelay}, before its warm-up); {@code armed}, when fio had set itself up and got there;
 * {@code ended}, when its last job's I/O ended (its {@code exec_postrun}), before fio wrote its output.
 */
public record GuestStatus(String state, String exit, double started, double finished, double measuring, double armed,
        double ended) {

    static GuestStatus parse(String line) {
        Map<String, String> fields = new HashMap<>();
        for (String token : line.trim().split("\\s+")) {
            int eq = token.indexOf('=');
            if (eq > 0) {
                fields.put(token.substring(0, eq), token.substring(eq + 1));
            }
        }
        if (!fields.containsKey("state")) {
            throw new GuestException("The guest's status line has no state: [" + line.trim() + "]. Fix: the guest runs "
                    + "a vmbench-guest other than the one this harness installs through cloud-init; see the guest "
                    + "diagnostics.");
        }
        return new GuestStatus(fields.get("state"), fields.getOrDefault("exit", "-"),
                epoch(fields.get("started")), epoch(fields.get("finished")), epoch(fields.get("measuring")),
                epoch(fields.get("armed")), epoch(fields.get("ended")));
    }

    private static double epoch(String text) {
        try {
            return text == null ? Double.NaN : Double.parseDouble(text);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** Launched and not finished yet. */
    public boolean running() {
        return "starting".equals(state) || "running".equals(state);
    }

    /** A measuring run that finished with exit 0. */
    public boolean succeeded() {
        return "done".equals(state) && "0".equals(exit);
    }

    /** A prefill that finished with exit 0. */
    public boolean prefilled() {
        return "prefilled".equals(state) && "0".equals(exit);
    }
}
