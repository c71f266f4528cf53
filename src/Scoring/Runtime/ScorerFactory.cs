using System.Text.Json;
using FraudStream.Features.Schema;
using FraudStream.Scoring.Packaging;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FraudStream.Scoring.Runtime;

/// <summary>
/// Loads a model package into a warmed <see cref="IModelScorer"/>: validates the manifest against the running
/// <see cref="FeatureSchema"/>, picks the device (CUDA when it initialises, else the CPU with a warning) and
/// the graph, pre-allocates and warms every batch bucket.
/// </summary>
public static class ScorerFactory
{
    public const string TensorInputName = "features";
    public const string TensorOutputName = "probability";
    private const string TreeEnsembleOutputPrefix = "Probability";
    private const int SelectionIterations = 30;

    /// <summary>Throws <see cref="ModelPackageException"/> for a missing, corrupt or mismatched package.</summary>
    public static IModelScorer Create(string packageDir, ScoringOptions options, ILogger logger) =>
        Create(packageDir, LoadManifest(packageDir), options, logger);

    /// <summary>The scorer of a package whose manifest was already read (and checked) by <see cref="LoadManifest"/>.</summary>
    public static IModelScorer Create(string packageDir, ModelPackage manifest, ScoringOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (options.Device != ScoringDevice.Cpu)
        {
            var tensorPath = manifest.Files.OnnxTensor is { } tensorFile ? Path.Combine(packageDir, tensorFile) : null;
            if (tensorPath is null || !File.Exists(tensorPath))
            {
                if (options.Device == ScoringDevice.Cuda || options.Graph == ScoringGraph.Tensor)
                {
                    throw new ModelPackageException(ModelPackageProblem.Missing,
                        $"model package '{packageDir}' has no tensor graph (model.tensor.onnx), which CUDA needs");
                }

                logger.LogWarning("Model package {Package} has no tensor graph; scoring on the CPU", packageDir);
            }
            else if (TryCreateCuda(tensorPath, manifest, options, logger, out var cudaScorer))
            {
                return cudaScorer;
            }
        }

        return CreateCpu(packageDir, manifest, options, logger);
    }

    public static bool TryCreate(string packageDir, ScoringOptions options, ILogger logger,
        out IModelScorer? scorer, out string? error)
    {
        try
        {
            scorer = Create(packageDir, options, logger);
            error = null;
            return true;
        }
        catch (ModelPackageException e)
        {
            scorer = null;
            error = e.Message;
            return false;
        }
    }

    public static ModelPackage LoadManifest(string packageDir)
    {
        if (!Directory.Exists(packageDir))
        {
            throw new ModelPackageException(ModelPackageProblem.Missing, $"model package directory '{packageDir}' does not exist");
        }

        ModelPackage manifest;
        try
        {
            manifest = ModelPackage.Load(packageDir);
        }
        catch (FileNotFoundException e)
        {
            throw new ModelPackageException(ModelPackageProblem.Missing, e.Message, e);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new ModelPackageException(ModelPackageProblem.Corrupt, $"model package '{packageDir}': unreadable model.json: {e.Message}", e);
        }

        CheckSchema(packageDir, manifest);
        return manifest;
    }

    /// <summary>The package must have been trained on exactly the running feature schema: version, names and order.</summary>
    public static void CheckSchema(string packageDir, ModelPackage manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var names = manifest.FeatureSchema.Names;
        if (manifest.FeatureSchema.Version != FeatureSchema.Version)
        {
            throw new ModelPackageException(ModelPackageProblem.SchemaMismatch,
                $"model package '{packageDir}' was trained on feature schema '{manifest.FeatureSchema.Version}', the running schema is '{FeatureSchema.Version}'");
        }

        if (names.Count != FeatureSchema.Count)
        {
            throw new ModelPackageException(ModelPackageProblem.SchemaMismatch,
                $"model package '{packageDir}' has {names.Count} features, the running schema has {FeatureSchema.Count}");
        }

        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] != FeatureSchema.Names[i])
            {
                throw new ModelPackageException(ModelPackageProblem.SchemaMismatch,
                    $"model package '{packageDir}': feature {i} is '{names[i]}', the running schema has '{FeatureSchema.Names[i]}'");
            }
        }
    }

    private static bool TryCreateCuda(string tensorPath, ModelPackage manifest, ScoringOptions options, ILogger logger,
        out IModelScorer scorer)
    {
        scorer = null!;
        OrtModelScorer plain;
        try
        {
            plain = Build(tensorPath, manifest, options, "cuda", cudaGraphs: false, "tensor");
        }
        catch (ModelPackageException)
        {
            throw;
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException
            or TypeInitializationException or BadImageFormatException)
        {
            logger.LogWarning("CUDA is unavailable ({Reason}); scoring on the CPU", FirstLine(e.Message));
            return false;
        }

        if (!options.CudaGraphs)
        {
            scorer = plain;
            return true;
        }

        OrtModelScorer? graphs = null;
        try
        {
            graphs = Build(tensorPath, manifest, options, "cuda", cudaGraphs: true, "tensor");
        }
        catch (Exception e) when (e is OnnxRuntimeException or InvalidOperationException or NotSupportedException)
        {
            logger.LogWarning("CUDA graph capture failed ({Reason}); scoring without CUDA graphs", FirstLine(e.Message));
            graphs?.Dispose();
            scorer = plain;
            return true;
        }

        if (options.CudaGraphsWithoutSelection)
        {
            plain.Dispose();
            scorer = graphs;
            return true;
        }

        // Keep the graphs only if they win at both ends of the batch range.
        var plainCost = plain.MeasureMedianMicros(1, SelectionIterations) + plain.MeasureMedianMicros(options.MaxBatchSize, SelectionIterations);
        var graphCost = graphs.MeasureMedianMicros(1, SelectionIterations) + graphs.MeasureMedianMicros(options.MaxBatchSize, SelectionIterations);
        logger.LogInformation("CUDA graphs: {GraphMicros:F1} µs vs {PlainMicros:F1} µs without (batch 1 + batch {Max})",
            graphCost, plainCost, options.MaxBatchSize);
        (scorer, var loser) = graphCost < plainCost ? (graphs, plain) : ((IModelScorer)plain, graphs);
        loser.Dispose();
        return true;
    }

    private static IModelScorer CreateCpu(string packageDir, ModelPackage manifest, ScoringOptions options, ILogger logger)
    {
        var tensorPath = manifest.Files.OnnxTensor is { } t ? Path.Combine(packageDir, t) : null;
        var treePath = Path.Combine(packageDir, manifest.Files.OnnxTreeEnsemble);
        var hasTensor = tensorPath is not null && File.Exists(tensorPath);
        var hasTrees = File.Exists(treePath);

        var graph = options.Graph;
        if (graph == ScoringGraph.Auto && manifest.PreferredCpuGraph is { } preferred)
        {
            graph = ScoringOptions.ParseGraph(preferred);
        }

        switch (graph)
        {
            case ScoringGraph.Tensor when !hasTensor:
                throw new ModelPackageException(ModelPackageProblem.Missing, $"model package '{packageDir}' has no tensor graph");
            case ScoringGraph.TreeEnsemble when !hasTrees:
                throw new ModelPackageException(ModelPackageProblem.Missing, $"model package '{packageDir}' has no {manifest.Files.OnnxTreeEnsemble}");
            case ScoringGraph.Tensor:
                return Warmed(Build(tensorPath!, manifest, options, "cpu", false, "tensor"));
            case ScoringGraph.TreeEnsemble:
                return Warmed(Build(treePath, manifest, options, "cpu", false, "tree_ensemble"));
        }

        if (!hasTensor && !hasTrees)
        {
            throw new ModelPackageException(ModelPackageProblem.Missing, $"model package '{packageDir}' holds no ONNX model");
        }

        if (!hasTensor || !hasTrees)
        {
            return Warmed(hasTensor ? Build(tensorPath!, manifest, options, "cpu", false, "tensor")
                : Build(treePath, manifest, options, "cpu", false, "tree_ensemble"));
        }

        var tensor = Build(tensorPath!, manifest, options, "cpu", false, "tensor");
        OrtModelScorer trees;
        try
        {
            trees = Build(treePath, manifest, options, "cpu", false, "tree_ensemble");
        }
        catch (ModelPackageException e)
        {
            logger.LogWarning("Ignoring the TreeEnsemble export: {Reason}", e.Message);
            return Warmed(tensor);
        }

        var tensorCost = tensor.MeasureMedianMicros(1, SelectionIterations) + tensor.MeasureMedianMicros(options.MaxBatchSize, SelectionIterations);
        var treeCost = trees.MeasureMedianMicros(1, SelectionIterations) + trees.MeasureMedianMicros(options.MaxBatchSize, SelectionIterations);
        logger.LogInformation("CPU graph: tensor {TensorMicros:F1} µs, tree_ensemble {TreeMicros:F1} µs (batch 1 + batch {Max})",
            tensorCost, treeCost, options.MaxBatchSize);
        var (winner, loser) = tensorCost <= treeCost ? (tensor, trees) : (trees, tensor);
        loser.Dispose();
        return Warmed(winner);
    }

    private static OrtModelScorer Warmed(OrtModelScorer scorer)
    {
        scorer.WarmUp();
        return scorer;
    }

    private static OrtModelScorer Build(string onnxPath, ModelPackage manifest, ScoringOptions options, string device,
        bool cudaGraphs, string graphKind)
    {
        if (!File.Exists(onnxPath))
        {
            throw new ModelPackageException(ModelPackageProblem.Missing, $"{onnxPath} does not exist");
        }

        using var sessionOptions = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (device == "cuda")
        {
            // No node may fall back to the CPU silently, and TF32 would round the products of the GEMM path.
            sessionOptions.AddSessionConfigEntry("session.disable_cpu_ep_fallback", "1");
            using var cuda = new OrtCUDAProviderOptions();
            cuda.UpdateOptions(new Dictionary<string, string>
            {
                ["device_id"] = "0",
                ["use_tf32"] = "0",
                ["enable_cuda_graph"] = cudaGraphs ? "1" : "0",
            });
            sessionOptions.AppendExecutionProvider_CUDA(cuda);
        }
        else
        {
            sessionOptions.IntraOpNumThreads = options.CpuThreads;
        }

        InferenceSession session;
        try
        {
            session = new InferenceSession(onnxPath, sessionOptions);
        }
        catch (OnnxRuntimeException e) when (device == "cpu" || IsModelError(e))
        {
            throw new ModelPackageException(ModelPackageProblem.Corrupt, $"{onnxPath} is not a loadable ONNX model: {FirstLine(e.Message)}", e);
        }

        OrtModelScorer? scorer = null;
        try
        {
            var (input, output) = Signature(session, onnxPath, graphKind);
            scorer = new OrtModelScorer(session, device, cudaGraphs, input, output, FeatureSchema.Count,
                options.MaxBatchSize, manifest.ModelVersion, graphKind);
            if (device == "cuda")
            {
                scorer.WarmUp();
            }

            return scorer;
        }
        catch
        {
            if (scorer is not null)
            {
                scorer.Dispose();
            }
            else
            {
                session.Dispose();
            }

            throw;
        }
    }

    private static (string Input, string Output) Signature(InferenceSession session, string onnxPath, string graphKind)
    {
        string? input = null;
        foreach (var (name, metadata) in session.InputMetadata)
        {
            var dims = metadata.Dimensions;
            if (metadata.ElementDataType == TensorElementType.Float && dims.Length == 2 && dims[1] == FeatureSchema.Count)
            {
                input = name;
            }
        }

        if (input is null)
        {
            throw new ModelPackageException(ModelPackageProblem.SchemaMismatch,
                $"{onnxPath} has no float input of shape [N, {FeatureSchema.Count}] (the running feature schema)");
        }

        foreach (var name in session.OutputNames)
        {
            if (graphKind == "tensor" ? name == TensorOutputName : name.StartsWith(TreeEnsembleOutputPrefix, StringComparison.Ordinal))
            {
                return (input, name);
            }
        }

        throw new ModelPackageException(ModelPackageProblem.Unsupported, $"{onnxPath} has no probability output");
    }

    private static bool IsModelError(OnnxRuntimeException e) =>
        e.Message.Contains("INVALID_PROTOBUF", StringComparison.Ordinal) || e.Message.Contains("INVALID_GRAPH", StringComparison.Ordinal)
        || e.Message.Contains("NO_SUCHFILE", StringComparison.Ordinal) || e.Message.Contains("Protobuf parsing failed", StringComparison.Ordinal);

    private static string FirstLine(string message)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }
}
