namespace FraudStream.Training.Compilation.Onnx;

/// <summary>
/// Reads the operators (domain, op_type) out of serialized ONNX bytes, independently of the writer's
/// objects, so tests can check that a compiled graph holds standard ai.onnx operators only.
/// </summary>
public static class OnnxModelInspector
{
    public static IReadOnlyList<(string Domain, string OpType)> ListOperators(byte[] model)
    {
        var result = new List<(string, string)>();
        foreach (var (field, graph) in LengthDelimitedFields(model))
        {
            if (field != 7)
            {
                continue;
            }

            foreach (var (nodeField, node) in LengthDelimitedFields(graph))
            {
                if (nodeField != 1)
                {
                    continue;
                }

                string domain = "", opType = "";
                foreach (var (f, value) in LengthDelimitedFields(node))
                {
                    if (f == 4)
                    {
                        opType = System.Text.Encoding.UTF8.GetString(value);
                    }
                    else if (f == 7)
                    {
                        domain = System.Text.Encoding.UTF8.GetString(value);
                    }
                }

                result.Add((domain, opType));
            }
        }

        return result;
    }

    /// <summary>The opset imports: domain and version.</summary>
    public static IReadOnlyList<(string Domain, long Version)> ListOpsets(byte[] model)
    {
        var result = new List<(string, long)>();
        foreach (var (field, opset) in LengthDelimitedFields(model))
        {
            if (field != 8)
            {
                continue;
            }

            var domain = "";
            long version = 0;
            var position = 0;
            while (position < opset.Length)
            {
                var tag = (int)ReadVarint(opset, ref position);
                if ((tag & 7) == 0)
                {
                    var value = (long)ReadVarint(opset, ref position);
                    if (tag >> 3 == 2)
                    {
                        version = value;
                    }
                }
                else
                {
                    var length = (int)ReadVarint(opset, ref position);
                    domain = System.Text.Encoding.UTF8.GetString(opset, position, length);
                    position += length;
                }
            }

            result.Add((domain, version));
        }

        return result;
    }

    private static IEnumerable<(int Field, byte[] Value)> LengthDelimitedFields(byte[] message)
    {
        var position = 0;
        var fields = new List<(int, byte[])>();
        while (position < message.Length)
        {
            var tag = ReadVarint(message, ref position);
            var field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    ReadVarint(message, ref position);
                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(message, ref position);
                    fields.Add((field, message.AsSpan(position, length).ToArray()));
                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"unsupported protobuf wire type {tag & 7}");
            }
        }

        return fields;
    }

    private static ulong ReadVarint(byte[] data, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
