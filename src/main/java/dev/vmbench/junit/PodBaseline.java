package dev.vmbench.junit;

import dev.vmbench.cluster.BaselinePod;
import dev.vmbench.fio.FioRun;
import dev.vmbench.fio.PodRatio;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.report.AllureReport;
import dev.vmbench.report.Charts;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A group's pod baseline as a test sees it ({@code PodBaselineIT}): the plain pod of the class invocation, started
 * on first use and deleted with the group; {@link #compare} runs a VM run's job in it and reports the VM-to-pod
 * ratios ({@code pod-baseline.csv}, the test's description). Resolved as a test parameter.
 */
public final class PodBaseline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PodBaseline.class);

    private final Settings settings;
    private final VmGroupSpec group;
    private final BaselinePod pod;
    private final RuntimeException failure;

    private PodBaseline(Settings settings, VmGroupSpec group, BaselinePod pod, RuntimeException failure) {
        this.settings = settings;
        this.group = group;
        this.pod = pod;
        this.failure = failure;
    }

    /** Starts the group's baseline pod (once per class invocation); a failure is kept and thrown by each test. */
    static PodBaseline start(Settings settings, VmGroupSpec group, java.util.function.Supplier<Connection> connect) {
        if (group.concurrency() > 1) {
            // N VMs share the storage with each other while the one pod has it alone: the ratio would measure the
            // sharing, not what virtualization costs
            return new PodBaseline(settings, group, null, new dev.vmbench.config.ConfigException("The pod baseline "
                    + "compares a VM with one plain pod that has the storage to itself, so it runs on groups of one VM; "
                    + "group " + group + " has vmbench.concurrency [" + group.concurrency() + "], whose VMs share the "
                    + "storage with each other, and its ratio would measure that sharing, not virtualization. Fix: run "
                    + "PodBaselineIT with -Dvmbench.concurrency=1."));
        }
        try {
            return new PodBaseline(settings, group, connect.get().provisioner().startBaselinePod(group,
                    new GroupRecorder(settings.results(), settings.environment())), null);
        } catch (RuntimeException e) {
            return new PodBaseline(settings, group, null, e);
        }
    }

    /**
     * Runs {@code vm}'s permutation in the pod and reports, per job section and direction, the VM's IOPS, bandwidth
     * and p99 over the pod's.
     */
    public List<PodRatio> compare(FioRun vm) {
        if (failure != null) {
            throw failure;
        }
        // the VM side must be a measurement in its own right before anything is divided by it, and so must the pod's
        dev.vmbench.gate.FioRunAssert.requireMeasured(vm, settings.thresholds().of(group, vm.permutation()));
        FioRun inPod = AllureReport.step("the same job in baseline pod " + pod.name(), () -> pod.run(vm.permutation()));
        dev.vmbench.gate.FioRunAssert.requireMeasured(inPod, settings.thresholds().of(group, vm.permutation()));
        List<PodRatio> ratios = PodRatio.of(vm, inPod);
        settings.results().writePodBaseline(vm, ratios);
        AllureReport.appendDescriptionHtml(table(ratios));
        ratios.forEach(r -> LOG.info("VM to pod {} · {} {} {}: IOPS {} · bandwidth {} · p99 {}", group, vm.permutation(),
                r.job(), r.direction(), ratio(r.iopsRatio()), ratio(r.bandwidthRatio()), ratio(r.p99Ratio())));
        return ratios;
    }

    private static String table(List<PodRatio> ratios) {
        StringBuilder html = new StringBuilder("<p><b>VM against a plain pod on the same StorageClass</b> (VM ÷ pod; "
                + "below 1 the VM gets less, for p99 above 1 it waits longer)</p><table border='1' cellpadding='4' "
                + "style='border-collapse:collapse;font-family:sans-serif;font-size:13px'><tr><th>job</th><th>dir</th>"
                + "<th>IOPS VM / pod</th><th>ratio</th><th>MiB/s VM / pod</th><th>ratio</th><th>p99 VM / pod</th>"
                + "<th>ratio</th></tr>");
        for (PodRatio r : ratios) {
            html.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%.0f / %.0f</td><td>%s</td>"
                    + "<td>%.1f / %.1f</td><td>%s</td><td>%.2f / %.2f ms</td><td>%s</td></tr>", Charts.escape(r.job()),
                    r.direction(), r.vmIops(), r.podIops(), ratio(r.iopsRatio()), r.vmBandwidthBytes() / (1 << 20),
                    r.podBandwidthBytes() / (1 << 20), ratio(r.bandwidthRatio()), r.vmP99Ns() / 1e6, r.podP99Ns() / 1e6,
                    ratio(r.p99Ratio())));
        }
        return html.append("</table>").toString();
    }

    private static String ratio(double r) {
        return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.2f", r);
    }

    @Override
    public void close() {
        if (pod != null) {
            pod.close();
        }
    }
}
