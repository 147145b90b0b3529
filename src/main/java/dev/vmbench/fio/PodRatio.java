package dev.vmbench.fio;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What virtualization costs, per job section and direction: a VM's figures over the same job in a plain pod on the
 * same StorageClass. A VM's IOPS and bandwidth are its group's per VM (the sum over the group's VMs ÷ their count);
 * its latency is the worst VM's p99. A ratio of 0.8 means the VM got 80 % of the pod's rate; a p99 ratio of 1.5, 50 %
 * more latency. NaN where the pod measured nothing to divide by.
 */
public record PodRatio(String job, String direction, double vmIops, double podIops, double vmBandwidthBytes,
        double podBandwidthBytes, double vmP99Ns, double podP99Ns) {

    public double iopsRatio() {
        return podIops > 0 ? vmIops / podIops : Double.NaN;
    }

    public double bandwidthRatio() {
        return podBandwidthBytes > 0 ? vmBandwidthBytes / podBandwidthBytes : Double.NaN;
    }

    public double p99Ratio() {
        return podP99Ns > 0 ? vmP99Ns / podP99Ns : Double.NaN;
    }

    /** The ratios of every job section and direction both runs measured, in the VM run's order. */
    public static List<PodRatio> of(FioRun vm, FioRun pod) {
        Map<String, GroupMetrics> inPod = new java.util.HashMap<>();
        GroupMetrics.of(pod).forEach(g -> inPod.put(g.key(), g));
        List<PodRatio> ratios = new ArrayList<>();
        for (GroupMetrics g : GroupMetrics.of(vm)) {
            GroupMetrics p = inPod.get(g.key());
            if (p != null) {
                ratios.add(new PodRatio(g.job(), g.direction(), g.iops() / g.vms(), p.iops(), g.bandwidthBytes() / g.vms(),
                        p.bandwidthBytes(), g.worstClatP99Ns(), p.worstClatP99Ns()));
            }
        }
        return ratios;
    }
}
