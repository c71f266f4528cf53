using System.ComponentModel;
using System.Globalization;

namespace FraudStream.Scoring.Runtime;

/// <summary>The device to score on; configuration and the command line accept <see cref="ScoringOptions.DeviceNames"/>.</summary>
[TypeConverter(typeof(ScoringDeviceConverter))]
public enum ScoringDevice
{
    /// <summary>CUDA when a GPU and the CUDA provider load; otherwise the CPU, with a warning.</summary>
    Auto,
    Cuda,
    Cpu,
}

[TypeConverter(typeof(ScoringGraphConverter))]
public enum ScoringGraph
{
    /// <summary>CUDA: the tensor graph. CPU: the package's recorded preference, else the faster one measured at start.</summary>
    Auto,

    /// <summary>The trees compiled to standard ai.onnx operators (model.tensor.onnx).</summary>
    Tensor,

    /// <summary>ML.NET's ONNX export with ai.onnx.ml TreeEnsemble operators (CPU only).</summary>
    TreeEnsemble,
}

/// <summary>Settings of the model stage, bound from the <c>Scoring</c> section and checked by <see cref="ScoringOptionsValidator"/>.</summary>
public sealed class ScoringOptions
{
    public const string Section = "Scoring";

    /// <summary>The <see cref="ModelDirectory"/> that runs without a model: every decision flagged <c>model_unavailable</c>.</summary>
    public const string NoModel = "none";

    /// <summary>Every device name accepted, by the command line and by configuration alike.</summary>
    public static IReadOnlyList<string> DeviceNames { get; } = Array.ConvertAll(Enum.GetNames<ScoringDevice>(), name => name.ToLowerInvariant());

    /// <summary>The model package directory the stage loads and watches, or <see cref="NoModel"/>.</summary>
    public string? ModelDirectory { get; set; }

    public ScoringDevice Device { get; set; } = ScoringDevice.Auto;

    /// <summary>Largest batch the scorer runs at once; bigger requests are split.</summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>
    /// How long the micro-batcher holds the first queued submission waiting for more. Unset: by the device the
    /// model loaded on — <see cref="DefaultCudaWaitMicros"/> on CUDA, where merging workers' rows pays, none on
    /// the CPU, where each worker already scores its own batch and the wait would only spin on cores the
    /// pipeline needs.
    /// </summary>
    public int? MaxWaitMicros { get; set; }

    public const int DefaultCudaWaitMicros = 200;

    /// <summary>The micro-batcher's wait for a scorer on <paramref name="device"/> ("cuda", "cpu" or "none").</summary>
    public int WaitMicrosFor(string device) => MaxWaitMicros ?? (device == "cuda" ? DefaultCudaWaitMicros : 0);

    /// <summary>Try CUDA graph capture (one graph per batch bucket) and keep it if it is faster.</summary>
    public bool CudaGraphs { get; set; } = true;

    public ScoringGraph Graph { get; set; } = ScoringGraph.Auto;

    /// <summary>Benchmarks: use CUDA graphs when <see cref="CudaGraphs"/> is set, without measuring whether they win.</summary>
    public bool CudaGraphsWithoutSelection { get; set; }

    /// <summary>ORT intra-op threads on the CPU; 0 lets ORT decide.</summary>
    public int CpuThreads { get; set; } = 1;

    /// <summary>Submissions that may wait in the micro-batcher at once (pre-allocated slots).</summary>
    public int MaxPendingSubmissions { get; set; } = 256;

    /// <summary>
    /// The challenger's package directory (<c>--challenger</c>), watched like the model's: scored in shadow beside the
    /// champion on every batch, never deciding (docs/SCORING.md). Unset: no challenger, and nothing of it runs.
    /// </summary>
    public string? ChallengerDirectory { get; set; }

    /// <summary>
    /// The challenger's compute budget per batch. A batch over it benches the challenger for
    /// <see cref="ChallengerCooldownMs"/>: the decisions behind it waited once, never again until it is back.
    /// </summary>
    public int ChallengerBudgetMicros { get; set; } = 2000;

    /// <summary>The challenger is skipped (load) for a batch when this many submissions wait for the scoring thread behind it.</summary>
    public int ChallengerSkipAtWaiting { get; set; } = 2;

    /// <summary>How long a challenger that threw or ran over its budget sits out before it is tried again.</summary>
    public int ChallengerCooldownMs { get; set; } = 1000;

    /// <summary>Where <see cref="RegistryCacheDirectory"/> points unless configured: <c>fraudstream-registry</c> in the temp folder.</summary>
    public static string DefaultRegistryCacheDirectory => Path.Combine(Path.GetTempPath(), "fraudstream-registry");

    /// <summary>
    /// Where packages fetched from the store's model registry are unpacked to be loaded, one folder per version and
    /// sha256 (docs/SCORING.md, "Registry"). Local to the host; shared by the instances on it.
    /// </summary>
    public string RegistryCacheDirectory { get; set; } = DefaultRegistryCacheDirectory;

    public static ScoringDevice ParseDevice(string value)
    {
        foreach (var device in Enum.GetValues<ScoringDevice>())
        {
            if (string.Equals(value, device.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                return device;
            }
        }

        throw new FormatException($"unknown device '{value}' ({string.Join('|', DeviceNames)})");
    }

    public static ScoringGraph ParseGraph(string value) => value.ToLowerInvariant() switch
    {
        "auto" => ScoringGraph.Auto,
        "tensor" => ScoringGraph.Tensor,
        "tree_ensemble" or "treeensemble" => ScoringGraph.TreeEnsemble,
        _ => throw new FormatException($"unknown graph '{value}' (auto|tensor|tree_ensemble)"),
    };
}

/// <summary>Configuration binds <see cref="ScoringDevice"/> through <see cref="ScoringOptions.ParseDevice"/>: the one list of names.</summary>
internal sealed class ScoringDeviceConverter : EnumConverter
{
    public ScoringDeviceConverter()
        : base(typeof(ScoringDevice))
    {
    }

    public override object ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string name ? ScoringOptions.ParseDevice(name) : base.ConvertFrom(context, culture, value)!;
}

/// <summary>Configuration binds <see cref="ScoringGraph"/> through <see cref="ScoringOptions.ParseGraph"/>, as the manifest's preference is read.</summary>
internal sealed class ScoringGraphConverter : EnumConverter
{
    public ScoringGraphConverter()
        : base(typeof(ScoringGraph))
    {
    }

    public override object ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string name ? ScoringOptions.ParseGraph(name) : base.ConvertFrom(context, culture, value)!;
}
