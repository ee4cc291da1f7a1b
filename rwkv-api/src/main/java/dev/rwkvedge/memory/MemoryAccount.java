package dev.rwkvedge.memory;

import dev.rwkvedge.model.Component;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.tensor.Tensor;

import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parameter memory of a loaded model by component, from what the engine actually bound (PAPER.md §6, "how memory is
 * counted": the bytes of resident parameters, apart from process RSS), against the dense model of the same shape.
 *
 * <ul>
 *   <li><b>stored</b>: bytes of the model file's tensors;</li>
 *   <li><b>resident</b>: bytes that must stay in RAM: tensors read for every token, tensors copied to the heap at
 *       bind time, and memory operators allocate (an embedding cache's rows);</li>
 *   <li><b>on demand</b>: mapped tensors of which a token reads only some rows, paged in from storage as needed (the
 *       OS may keep them cached, but can drop them);</li>
 *   <li><b>touched per token</b>: the expected on-demand bytes one token reads, from shares the compressors measured
 *       and recorded in the model's metadata; unknown (NaN) when a component has on-demand bytes without one.</li>
 * </ul>
 *
 * Each operator reports its tensors through {@link Footprint}, and the engine reports the vectors it decodes to
 * float32 (norms, token-shift mixes, decays: resident at 4 bytes per element); a tensor nobody claims is resident at
 * its stored size (v6/v7 LoRA matrices, the tensors of an operator that does not report). A per-row scale {@code X.scale}
 * counts with its matrix {@code X}: same component, same residency. Bytes read only while binding are stored but
 * neither resident nor on demand.
 *
 * @param components rows of the components that hold any bytes, in {@link Component} order
 */
public record MemoryAccount(Map<Component, Row> components, Row total, DenseBaseline dense) {
    /**
     * @param touchedPerToken expected on-demand bytes read per token; NaN when unknown
     */
    public record Row(long stored, long resident, long onDemand, double touchedPerToken) {
        Row plus(Row o) {
            return new Row(stored + o.stored, resident + o.resident, onDemand + o.onDemand, touchedPerToken + o.touchedPerToken);
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("stored_bytes", stored);
            m.put("resident_bytes", resident);
            m.put("on_demand_bytes", onDemand);
            m.put("touched_per_token_bytes", Double.isNaN(touchedPerToken) ? null : Math.round(touchedPerToken));
            return m;
        }
    }

    private static final Row EMPTY = new Row(0, 0, 0, 0);
    private static final String SCALE = ".scale";

    public MemoryAccount {
        components = Collections.unmodifiableMap(new EnumMap<>(components));
    }

    /**
     * @param footprints what each bound operator reported ({@code Graph.footprints()})
     */
    public static MemoryAccount of(ModelWeights w, ModelConfig config, List<Footprint> footprints) {
        Map<String, Footprint.Item> claims = new HashMap<>();
        Map<Component, Row> rows = new EnumMap<>(Component.class);
        for (Footprint f : footprints) {
            for (Footprint.Item i : f.items()) {
                if (i.tensor() == null) {
                    rows.merge(i.component(), new Row(0, i.bytes(), 0, 0), Row::plus);
                } else {
                    claims.merge(i.tensor(), i, MemoryAccount::moreResident);
                }
            }
        }
        for (Tensor t : w.tensors()) {
            String owner = owner(w, t.name());
            Footprint.Item claim = claims.get(t.name());
            double share = 1;
            if (claim == null && !owner.equals(t.name())) {
                claim = claims.get(owner);
                if (claim != null) {
                    // The scale is read with its matrix's rows: the same share of its bytes.
                    share = claim.bytes() == 0 ? 0 : (double) t.byteSize() / claim.bytes();
                }
            }
            Component c = claim != null ? claim.component() : Component.of(owner);
            long b = t.byteSize();
            Footprint.Residency r = claim == null ? Footprint.Residency.RESIDENT : claim.residency();
            // A tensor claimed itself is resident at the claimed size (a decoded copy may differ from the stored one).
            long inRam = claim != null && claim.tensor().equals(t.name()) ? claim.bytes() : b;
            Row row = switch (r) {
                case RESIDENT -> new Row(b, inRam, 0, 0);
                case ON_DEMAND -> new Row(b, 0, b, claim.touchedPerToken() * share);
                case LOAD_ONLY -> new Row(b, 0, 0, 0);
            };
            rows.merge(c, row, Row::plus);
        }
        Row total = EMPTY;
        for (Row r : rows.values()) {
            total = total.plus(r);
        }
        return new MemoryAccount(rows, total, DenseBaseline.of(w, config));
    }

    /** {@code X} for {@code X.scale} when {@code X} is a tensor of {@code w}, else the name itself. */
    private static String owner(ModelWeights w, String name) {
        if (name.endsWith(SCALE)) {
            String base = name.substring(0, name.length() - SCALE.length());
            if (w.contains(base)) {
                return base;
            }
        }
        return name;
    }

    /** Of two claims of one tensor, the one that keeps more in RAM (a conservative account). */
    private static Footprint.Item moreResident(Footprint.Item a, Footprint.Item b) {
        return a.residency().ordinal() <= b.residency().ordinal() ? a : b;
    }

    /** Dense FP16 bytes over resident bytes: how many times less RAM the parameters need. */
    public double ratioVsFp16() {
        return (double) dense.fp16Bytes() / Math.max(1, total.resident());
    }

    public double ratioVsFp32() {
        return (double) dense.fp32Bytes() / Math.max(1, total.resident());
    }

    /** Dense FP16 bytes over stored bytes: how many times smaller the file is. */
    public double storedRatioVsFp16() {
        return (double) dense.fp16Bytes() / Math.max(1, total.stored());
    }

    public double storedRatioVsFp32() {
        return (double) dense.fp32Bytes() / Math.max(1, total.stored());
    }

    /** Resident bytes by component id, for compact reports. */
    public Map<String, Object> residentByComponent() {
        Map<String, Object> m = new LinkedHashMap<>();
        components.forEach((c, r) -> m.put(c.id(), r.resident()));
        return m;
    }

    /**
     * The account as JSON-ready maps: {@code components} (id → stored/resident/on-demand/touched bytes),
     * {@code total}, the dense baseline and the four ratios.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> comps = new LinkedHashMap<>();
        components.forEach((c, r) -> comps.put(c.id(), r.toMap()));
        m.put("components", comps);
        m.put("total", total.toMap());
        m.put("dense_parameters", dense.parameters());
        m.put("dense_fp16_bytes", dense.fp16Bytes());
        m.put("dense_fp32_bytes", dense.fp32Bytes());
        m.put("ratio_vs_fp16", round(ratioVsFp16()));
        m.put("ratio_vs_fp32", round(ratioVsFp32()));
        m.put("stored_ratio_vs_fp16", round(storedRatioVsFp16()));
        m.put("stored_ratio_vs_fp32", round(storedRatioVsFp32()));
        return m;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
