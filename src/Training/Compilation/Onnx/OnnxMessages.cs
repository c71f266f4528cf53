namespace FraudStream.Training.Compilation.Onnx;

// The subset of onnx.proto (IR version 8) the tensor-graph compiler emits; field numbers follow onnx.proto.

/// <summary>ONNX TensorProto.DataType values used here.</summary>
public enum OnnxDataType
{
    Float = 1,
    Int32 = 6,
    Int64 = 7,
    Bool = 9,
    Float16 = 10,
    Double = 11,
}

public sealed class OnnxModel : IProtoMessage
{
    public const long IrVersion = 8;

    public OnnxGraph Graph { get; } = new();

    /// <summary>Operator sets: the default domain ("") only, unless a caller adds ai.onnx.ml deliberately.</summary>
    public Dictionary<string, long> OpsetImports { get; } = new() { [""] = 17 };

    public string ProducerName { get; set; } = "FraudStream.TensorGraphCompiler";

    public byte[] ToBytes()
    {
        var writer = new ProtoWriter();
        WriteTo(writer);
        return writer.ToArray();
    }

    void IProtoMessage.WriteTo(ProtoWriter writer) => WriteTo(writer);

    internal void WriteTo(ProtoWriter writer)
    {
        writer.Varint(1, IrVersion);
        writer.String(2, ProducerName);
        writer.Message(7, Graph);
        foreach (var (domain, version) in OpsetImports)
        {
            writer.Message(8, new OpsetImport(domain, version));
        }
    }

    private sealed record OpsetImport(string Domain, long Version) : IProtoMessage
    {
        public void WriteTo(ProtoWriter writer)
        {
            writer.String(1, Domain);
            writer.Varint(2, Version);
        }
    }
}

public sealed class OnnxGraph : IProtoMessage
{
    public string Name { get; set; } = "graph";

    public List<OnnxNode> Nodes { get; } = [];

    public List<OnnxTensor> Initializers { get; } = [];

    public List<OnnxValueInfo> Inputs { get; } = [];

    public List<OnnxValueInfo> Outputs { get; } = [];

    void IProtoMessage.WriteTo(ProtoWriter writer)
    {
        foreach (var node in Nodes)
        {
            writer.Message(1, node);
        }

        writer.String(2, Name);
        foreach (var tensor in Initializers)
        {
            writer.Message(5, tensor);
        }

        foreach (var input in Inputs)
        {
            writer.Message(11, input);
        }

        foreach (var output in Outputs)
        {
            writer.Message(12, output);
        }
    }
}

public sealed class OnnxNode : IProtoMessage
{
    public required string OpType { get; init; }

    public string Domain { get; init; } = "";

    public string Name { get; init; } = "";

    public List<string> Inputs { get; } = [];

    public List<string> Outputs { get; } = [];

    public List<OnnxAttribute> Attributes { get; } = [];

    void IProtoMessage.WriteTo(ProtoWriter writer)
    {
        foreach (var input in Inputs)
        {
            writer.String(1, input);
        }

        foreach (var output in Outputs)
        {
            writer.String(2, output);
        }

        writer.String(3, Name);
        writer.String(4, OpType);
        foreach (var attribute in Attributes)
        {
            writer.Message(5, attribute);
        }

        if (Domain.Length > 0)
        {
            writer.String(7, Domain);
        }
    }
}

public sealed class OnnxAttribute : IProtoMessage
{
    private const int TypeFloat = 1;
    private const int TypeInt = 2;
    private const int TypeInts = 7;

    private OnnxAttribute(string name, int type)
    {
        Name = name;
        Type = type;
    }

    public string Name { get; }

    private int Type { get; }

    private long IntValue { get; init; }

    private float FloatValue { get; init; }

    private long[] IntsValue { get; init; } = [];

    public static OnnxAttribute Int(string name, long value) => new(name, TypeInt) { IntValue = value };

    public static OnnxAttribute Float(string name, float value) => new(name, TypeFloat) { FloatValue = value };

    public static OnnxAttribute Ints(string name, params long[] values) => new(name, TypeInts) { IntsValue = values };

    void IProtoMessage.WriteTo(ProtoWriter writer)
    {
        writer.String(1, Name);
        switch (Type)
        {
            case TypeFloat:
                writer.Fixed32(2, FloatValue);
                break;
            case TypeInt:
                writer.Varint(3, IntValue);
                break;
            default:
                foreach (var value in IntsValue)
                {
                    writer.Varint(8, value);
                }

                break;
        }

        writer.Varint(20, Type);
    }
}

/// <summary>An initializer: little-endian raw data.</summary>
public sealed class OnnxTensor : IProtoMessage
{
    public required string Name { get; init; }

    public required OnnxDataType DataType { get; init; }

    public required long[] Dims { get; init; }

    public required byte[] RawData { get; init; }

    public static OnnxTensor Of(string name, long[] dims, ReadOnlySpan<float> values) =>
        new() { Name = name, DataType = OnnxDataType.Float, Dims = dims, RawData = ToBytes(values) };

    public static OnnxTensor Of(string name, long[] dims, ReadOnlySpan<Half> values) =>
        new() { Name = name, DataType = OnnxDataType.Float16, Dims = dims, RawData = ToBytes(values) };

    public static OnnxTensor Of(string name, long[] dims, ReadOnlySpan<double> values) =>
        new() { Name = name, DataType = OnnxDataType.Double, Dims = dims, RawData = ToBytes(values) };

    public static OnnxTensor Of(string name, long[] dims, ReadOnlySpan<long> values) =>
        new() { Name = name, DataType = OnnxDataType.Int64, Dims = dims, RawData = ToBytes(values) };

    public static OnnxTensor Of(string name, long[] dims, ReadOnlySpan<bool> values)
    {
        var bytes = new byte[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            bytes[i] = values[i] ? (byte)1 : (byte)0;
        }

        return new() { Name = name, DataType = OnnxDataType.Bool, Dims = dims, RawData = bytes };
    }

    private static byte[] ToBytes<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw_data is little-endian");
        }

        return System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).ToArray();
    }

    void IProtoMessage.WriteTo(ProtoWriter writer)
    {
        foreach (var dim in Dims)
        {
            writer.Varint(1, dim);
        }

        writer.Varint(2, (int)DataType);
        writer.String(8, Name);
        writer.Bytes(9, RawData);
    }
}

/// <summary>A graph input or output: a tensor of an element type; a null dimension is symbolic (the batch).</summary>
public sealed class OnnxValueInfo(string name, OnnxDataType elementType, params long?[] shape) : IProtoMessage
{
    public string Name { get; } = name;

    void IProtoMessage.WriteTo(ProtoWriter writer)
    {
        writer.String(1, Name);
        writer.Message(2, new TypeProto(elementType, shape));
    }

    private sealed record TypeProto(OnnxDataType ElementType, long?[] Shape) : IProtoMessage
    {
        public void WriteTo(ProtoWriter writer) => writer.Message(1, new TensorTypeProto(ElementType, Shape));
    }

    private sealed record TensorTypeProto(OnnxDataType ElementType, long?[] Shape) : IProtoMessage
    {
        public void WriteTo(ProtoWriter writer)
        {
            writer.Varint(1, (int)ElementType);
            writer.Message(2, new ShapeProto(Shape));
        }
    }

    private sealed record ShapeProto(long?[] Shape) : IProtoMessage
    {
        public void WriteTo(ProtoWriter writer)
        {
            foreach (var dim in Shape)
            {
                writer.Message(1, new DimensionProto(dim));
            }
        }
    }

    private sealed record DimensionProto(long? Value) : IProtoMessage
    {
        public void WriteTo(ProtoWriter writer)
        {
            if (Value is { } value)
            {
                writer.Varint(1, value);
            }
            else
            {
                writer.String(2, "N");
            }
        }
    }
}
