package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.operators.DenseFfn;
import dev.rwkvedge.operators.DenseLinear;
import dev.rwkvedge.operators.PredictedSparseFfn;
import dev.rwkvedge.operators.SignNeuronPredictor;
import dev.rwkvedge.operators.SparseFfnTensors;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.spi.FfnOperator;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.Params;
import dev.rwkvedge.synth.SynthSpec;
import dev.rwkvedge.synth.SyntheticModel;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Benchmark main (not a unit test) on a synthetic 169M-class v5.2 model (12×768, vocab 65536, F16) with the scalar
 * backend: (1) FFN step time, dense against predicted-sparse with the 1-bit predictor, at the sparsity the synthetic
 * weights actually show and at a forced 88 % (PAPER.md §3.2's mean); (2) whole-token decode time of the dense and the
 * sparse model; (3) resident FFN bytes (mincore) after N tokens when the neuron-major rows live in a file mapping.
 * Synthetic weights are random, so their activation sparsity (about half the neurons) is not that of trained models.
 *
 * <p>Arguments: tokens to capture/time (default 6), decode tokens (default 4).
 */
public final class SparseFfnBenchmark {
    private SparseFfnBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int tokens = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        int decode = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        SynthSpec spec = new SynthSpec(RwkvVersion.V5_2, 12, 768, 65536, 0, 64, DType.F16, 1);
        try (KernelBackend backend = KernelBackends.create("scalar", 1);
             ModelWeights dense = SyntheticModel.generate(spec)) {
            ModelConfig cfg = ModelConfig.of(dense);
            int c = cfg.nEmbd();
            int f = cfg.ffnDim();
            int layers = cfg.nLayer();
            int[] ids = new int[tokens];
            java.util.SplittableRandom r = new java.util.SplittableRandom(5);
            for (int i = 0; i < tokens; i++) {
                ids[i] = r.nextInt(cfg.nVocab());
            }
            FfnActivationRecorder rec = new FfnActivationRecorder(layers, c, f, tokens);
            TinyData.observe(dense, backend, rec, ids);
            double sum = 0;
            for (int l = 0; l < layers; l++) {
                sum += rec.layer(l).sparsity(0, tokens);
            }
            double measured = sum / layers;
            System.out.printf(Locale.ROOT, "synthetic v5.2 12x768 F16, F=%d: measured activation sparsity %.3f (mean of %d layers over %d tokens)%n",
                    f, measured, layers, tokens);

            List<Tensor> valueT = new ArrayList<>();
            for (int l = 0; l < layers; l++) {
                valueT.add(NeuronMajor.transpose(dense.get("blocks." + l + ".ffn.value.weight"), "vt" + l));
            }
            for (double q : new double[] {measured, 0.88}) {
                ffnStep(dense, valueT, rec, backend, q, tokens);
            }
            for (double q : new double[] {measured, 0.88}) {
                decode(dense, backend, q, ids, decode);
            }
            residency(dense, backend, 0.88, ids);
        }
    }

    private static void ffnStep(ModelWeights dense, List<Tensor> valueT, FfnActivationRecorder rec, KernelBackend be,
                                double q, int tokens) {
        int layers = valueT.size();
        long denseNs = Long.MAX_VALUE;
        long sparseNs = Long.MAX_VALUE;
        long predNs = Long.MAX_VALUE;
        double bytes = 0;
        double denseBytes = 0;
        for (int round = 0; round < 3; round++) {
            long d = 0;
            long s = 0;
            long p = 0;
            bytes = 0;
            denseBytes = 0;
            for (int l = 0; l < layers; l++) {
                LayerActivations a = rec.layer(l);
                int c = a.embd();
                int f = a.ffn();
                Tensor key = dense.get("blocks." + l + ".ffn.key.weight");
                FfnOperator denseOp = new DenseFfn(new DenseLinear(key), new DenseLinear(dense.get("blocks." + l + ".ffn.value.weight")));
                SignNeuronPredictor sign = new SignNeuronPredictor(SignNeuronPredictor.pack(key.toFloatArray(), c, f,
                        midpoint(key)), c, f, q);
                PredictedSparseFfn sparse = new PredictedSparseFfn(sign, key, valueT.get(l), 1);
                float[] x = new float[c];
                float[] out = new float[c];
                float[] hidden = new float[f];
                int[] sel = new int[f];
                dev.rwkvedge.operators.SparseWorkspace ws = new dev.rwkvedge.operators.SparseWorkspace(c, f, 1);
                for (int t = 0; t < tokens; t++) {
                    System.arraycopy(a.inputs(), t * c, x, 0, c);
                    long t0 = System.nanoTime();
                    denseOp.apply(be, x, out, 1, hidden, new float[0]);
                    long t1 = System.nanoTime();
                    sparse.apply(be, x, out, 1, hidden, new float[0]);
                    long t2 = System.nanoTime();
                    sign.select(be, x, 0, sel, ws);
                    long t3 = System.nanoTime();
                    d += t1 - t0;
                    s += t2 - t1;
                    p += t3 - t2;
                }
                bytes += sparse.traffic().bytesPerToken();
                denseBytes += sparse.denseBytesPerToken();
            }
            denseNs = Math.min(denseNs, d);
            sparseNs = Math.min(sparseNs, s);
            predNs = Math.min(predNs, p);
        }
        System.out.printf(Locale.ROOT, "FFN step at 1-bit quantile %.3f: dense %.2f ms/token, predicted-sparse %.2f ms/token"
                        + " (of which 1-bit predictor %.2f ms) -> %.2fx; FFN bytes/token %.0f vs dense %.0f (%.2fx)%n",
                q, denseNs / 1e6 / tokens, sparseNs / 1e6 / tokens, predNs / 1e6 / tokens, (double) denseNs / sparseNs,
                bytes, denseBytes, denseBytes / bytes);
    }

    private static float midpoint(Tensor key) {
        float[] k = key.toFloatArray();
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : k) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        return (min + max) / 2;
    }

    private static ModelWeights sparseModel(ModelWeights dense, KernelBackend backend, double q) {
        return new SparsityCompressorProvider().create(new Params("sparsity", Map.of("predictor", "1bit", "sign-quantile", q)))
                .apply(dense, TinyData.context(new int[0], 1, backend)).weights();
    }

    private static void decode(ModelWeights dense, KernelBackend backend, double q, int[] ids, int n) {
        ModelWeights sparse = sparseModel(dense, backend, q);
        double[] ms = new double[2];
        for (int round = 0; round < 2; round++) {
            int i = 0;
            for (ModelWeights w : new ModelWeights[] {dense, sparse}) {
                try (RwkvModel m = RwkvModel.of(w, backend, false)) {
                    Session s = m.newSession();
                    s.eval(ids[0]);
                    long t0 = System.nanoTime();
                    for (int t = 1; t <= n; t++) {
                        s.eval(ids[t % ids.length]);
                    }
                    ms[i++] = (System.nanoTime() - t0) / 1e6 / n;
                }
            }
        }
        System.out.printf(Locale.ROOT, "whole-token decode at 1-bit quantile %.3f: dense %.1f ms/token, sparse %.1f ms/token -> %.2fx%n",
                q, ms[0], ms[1], ms[0] / ms[1]);
    }

    private static void residency(ModelWeights dense, KernelBackend backend, double q, int[] ids) throws Exception {
        ModelWeights sparse = sparseModel(dense, backend, q);
        ModelConfig cfg = ModelConfig.of(sparse);
        List<Tensor> rows = new ArrayList<>();
        for (int l = 0; l < cfg.nLayer(); l++) {
            rows.add(sparse.get(SparseFfnTensors.name(l, SparseFfnTensors.KEY)));
            rows.add(sparse.get(SparseFfnTensors.name(l, SparseFfnTensors.VALUE_T)));
        }
        Path file = Files.createTempFile("rwkv-sparse-ffn", ".bin");
        try (Arena arena = Arena.ofShared()) {
            List<Tensor> mapped = MappedTensors.writeAndMap(rows, file, arena);
            ModelWeights.Builder b = sparse.toBuilder();
            long total = 0;
            for (Tensor t : mapped) {
                b.put(t);
                total += t.byteSize();
            }
            java.lang.foreign.MemorySegment all = java.lang.foreign.MemorySegment.ofAddress(mapped.get(0).data().address())
                    .reinterpret(mapped.get(mapped.size() - 1).data().address() + mapped.get(mapped.size() - 1).byteSize()
                            - mapped.get(0).data().address());
            long before = PageResidency.residentBytes(all);
            try (RwkvModel m = RwkvModel.of(b.build(), backend, false)) {
                Session s = m.newSession();
                int n = 0;
                for (int id : ids) {
                    s.eval(id);
                    n++;
                    if (n == 1 || n == ids.length) {
                        System.out.printf(Locale.ROOT, "mapped neuron-major FFN rows at quantile %.2f: resident after %d token(s) %.1f MiB of %.1f MiB (%.1f %%; %.1f %% before any token; mincore)%n",
                                q, n, PageResidency.residentBytes(all) / 1048576.0, total / 1048576.0,
                                100.0 * PageResidency.residentBytes(all) / total, 100.0 * before / total);
                    }
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
