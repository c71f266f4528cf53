namespace FraudStream.Scoring.Runtime;

public enum ScoringDevice
{
    /// <summary>CUDA when a GPU and the CUDA provider load; otherwise the CPU, with a warning.</summary>
    Auto,
    Cuda,
    Cpu,
}

public enum ScoringGraph
{
    /// <summary>CUDA: the tensor graph. CPU: the package's recorded preference, else the faster one measured at start.</summary>
    Auto,

    /// <summary>The trees compiled to standard ai.onnx operators (model.tensor.onnx).</summary>
    Tensor,

    /// <summary>ML.NET's ONNX export with ai.onnx.ml TreeEnsemble operators (CPU only).</summary>
    TreeEnsemble,
}

public sealed class ScoringOptions
{
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

    public static ScoringDevice ParseDevice(string value) => value.ToLowerInvariant() switch
    {
        "auto" => ScoringDevice.Auto,
        "cuda" or "gpu" => ScoringDevice.Cuda,
        "cpu" => ScoringDevice.Cpu,
        _ => throw new ArgumentException($"unknown device '{value}' (auto|cuda|cpu)", nameof(value)),
    };

    public static ScoringGraph ParseGraph(string value) => value.ToLowerInvariant() switch
    {
        "auto" => ScoringGraph.Auto,
        "tensor" => ScoringGraph.Tensor,
        "tree_ensemble" or "treeensemble" => ScoringGraph.TreeEnsemble,
        _ => throw new ArgumentException($"unknown graph '{value}' (auto|tensor|tree_ensemble)", nameof(value)),
    };

    public void Validate()
    {
        if (MaxBatchSize is < 1 or > 65536)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "must be 1..65536");
        }

        if (MaxWaitMicros is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxWaitMicros), MaxWaitMicros, "must be >= 0");
        }

        if (MaxPendingSubmissions < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPendingSubmissions), MaxPendingSubmissions, "must be >= 1");
        }
    }
}
