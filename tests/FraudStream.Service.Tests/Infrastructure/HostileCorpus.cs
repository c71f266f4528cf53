using System.Text;
using Confluent.Kafka;

namespace FraudStream.Service.Tests.Infrastructure;

/// <summary>What the service must make of one corpus message.</summary>
internal enum Expected
{
    /// <summary>Valid after all: exactly one decision.</summary>
    Decided,

    /// <summary>Exactly one dead letter; with <see cref="CorpusMessage.Reason"/> when that reason is certain.</summary>
    DeadLettered,

    /// <summary>Either one decision or one dead letter (the contract may go either way; never both, never none).</summary>
    Either,

    /// <summary>An identical re-send of an earlier message: no outcome of its own (the original's stands).</summary>
    Resent,
}

/// <summary>One message of the corpus: its category, bytes, and what must become of it.</summary>
internal sealed class CorpusMessage
{
    public required string Category { get; init; }

    public required byte[] Value { get; init; }

    public byte[]? Key { get; init; }

    public Expected Expected { get; init; }

    /// <summary>The dead-letter reason code when it is certain (<see cref="Expected.DeadLettered"/>), else null: any reason.</summary>
    public string? Reason { get; init; }

    /// <summary>The transaction id as sent, where the message has a usable one and is expected decided.</summary>
    public string? Id { get; init; }

    public Headers? Headers { get; init; }

    public Timestamp Timestamp { get; init; } = Timestamp.Default;

    /// <summary>Orders the stream: a re-send or a reuse comes after what it repeats, on the same key.</summary>
    internal double SortKey { get; set; }

    internal CorpusMessage? After { get; init; }
}

/// <summary>One message of the corpus for the <c>labels</c> topic.</summary>
internal sealed record CorpusLabel(string Category, byte[] Value, byte[]? Key, bool Valid, string? Reason);

/// <summary>
/// The hostile corpus of issue 12, generated from a seed (same seed, same bytes): random bytes, truncations, byte flips,
/// giant and deeply nested values, Unicode and numeric edge cases, past and future timestamps, broken structure, card
/// numbers in every field, duplicate fields, conflicting duplicates and re-sends, hostile keys and headers; interleaved
/// with good transactions. Every message says what the service must make of it (<see cref="Expected"/>): the test counts
/// outcomes by the offset each message was written at, so a message with no usable id is accounted for too. The card
/// numbers it plants are kept (<see cref="PlantedPans"/>): none of their digits may appear anywhere the service writes.
/// </summary>
internal sealed class HostileCorpus
{
    private static readonly DateTime Base = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly Random _random;
    private readonly List<CorpusMessage> _messages = [];
    private readonly List<CorpusMessage> _good = [];
    private int _serial;

    private HostileCorpus(int seed) => _random = new Random(seed);

    /// <summary>Good and hostile transactions in publishing order.</summary>
    public IReadOnlyList<CorpusMessage> Transactions { get; private set; } = [];

    public IReadOnlyList<CorpusLabel> Labels { get; private set; } = [];

    /// <summary>Every card number planted, as written (with its separators, if any), and the case that planted it.</summary>
    public IReadOnlyList<(string Pan, string Case)> PlantedPans => _pans;

    private readonly List<(string Pan, string Case)> _pans = [];

    public static HostileCorpus Generate(int seed, int good, int hostile)
    {
        var corpus = new HostileCorpus(seed);
        corpus.Build(good, hostile);
        return corpus;
    }

    /// <summary>Good transactions, as the final health check sends them (ids after the corpus's, decided once each).</summary>
    public static CorpusMessage Good(string id, int i) => new()
    {
        Category = "good",
        Key = Encoding.UTF8.GetBytes(Card(i)),
        Value = Bytes(Tx(id, i)),
        Expected = Expected.Decided,
        Id = id,
    };

    private void Build(int good, int hostile)
    {
        for (var i = 0; i < good; i++)
        {
            var m = Good($"good-{i:D6}", i);
            _good.Add(m);
            _messages.Add(m);
        }

        // The share of each category; the categories that repeat an earlier message come last (they need originals).
        var plan = new (string Category, double Share, Action Make)[]
        {
            ("random_bytes", 0.08, RandomBytes),
            ("random_text", 0.04, RandomText),
            ("truncated", 0.08, Truncated),
            ("byte_flip", 0.08, ByteFlip),
            ("deep_nesting", 0.05, DeepNesting),
            ("giant_value", 0.05, GiantValue),
            ("unicode", 0.08, UnicodeEdge),
            ("numeric", 0.09, NumericEdge),
            ("timestamp", 0.08, TimestampEdge),
            ("structure", 0.07, Structure),
            ("pan_bearing", 0.09, PanBearing),
            ("duplicate_field", 0.03, DuplicateField),
            ("key_and_headers", 0.04, KeyAndHeaders),
            ("conflicting_duplicate", 0.05, ConflictingDuplicate),
            ("identical_resend", 0.04, IdenticalResend),
            ("id_reused_after_dead_letter", 0.05, ReusedAfterDeadLetter),
        };
        var total = 0;
        for (var c = 0; c < plan.Length; c++)
        {
            var count = c == plan.Length - 1 ? hostile - total : (int)(hostile * plan[c].Share);
            var before = _messages.Count;
            while (_messages.Count - before < count)
            {
                plan[c].Make();
            }

            total += _messages.Count - before;
        }

        Order();
        Labels = MakeLabels();
    }

    /// <summary>A random interleaving; each message that repeats another lands somewhere after it.</summary>
    private void Order()
    {
        var independent = _messages.Where(m => m.After is null).ToList();
        for (var i = independent.Count - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (independent[i], independent[j]) = (independent[j], independent[i]);
        }

        for (var i = 0; i < independent.Count; i++)
        {
            independent[i].SortKey = i;
        }

        var n = independent.Count;
        foreach (var m in _messages.Where(m => m.After is not null))
        {
            var from = m.After!.SortKey;
            m.SortKey = from + 0.5 + (_random.NextDouble() * (n - from));
        }

        Transactions = _messages.OrderBy(m => m.SortKey).ToList();
    }

    private static string Card(int i) => $"card-{i % 64:D4}";

    /// <summary>A valid transaction's JSON, every field present; <paramref name="override"/> replaces fields by name (value as raw JSON).</summary>
    private static string Tx(string id, int i, params (string Name, string? Raw)[] @override)
    {
        var fields = new List<(string Name, string? Raw)>
        {
            ("id", Quote(id)),
            ("ts", Quote(Base.AddSeconds(i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"))),
            ("card", Quote(Card(i))),
            ("merchant", Quote($"m-{i % 37}")),
            ("category", Quote(i % 3 == 0 ? "grocery" : i % 3 == 1 ? "travel" : "electronics")),
            ("amount", $"{10 + (i % 400)}.{i % 100:D2}"),
            ("currency", Quote("EUR")),
            ("country", Quote("DE")),
            ("lat", "52.52"),
            ("lon", "13.405"),
            ("device", Quote($"dev-{i % 64}")),
            ("channel", Quote(i % 2 == 0 ? "pos" : "ecom")),
        };
        foreach (var (name, raw) in @override)
        {
            var at = fields.FindIndex(f => f.Name == name);
            if (at >= 0)
            {
                fields[at] = (name, raw);
            }
            else
            {
                fields.Add((name, raw));
            }
        }

        var sb = new StringBuilder("{");
        foreach (var (name, raw) in fields)
        {
            if (raw is null)
            {
                continue; // removed
            }

            if (sb.Length > 1)
            {
                sb.Append(',');
            }

            sb.Append('"').Append(name).Append("\":").Append(raw);
        }

        return sb.Append('}').ToString();
    }

    /// <summary>A JSON string literal; the text goes in as written (escapes included), with only quotes escaped.</summary>
    private static string Quote(string text) => "\"" + text.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>A unique id; the letter keeps its digits from running together into something that reads as a card number.</summary>
    private string NextId(string category) => $"{category}-{_serial++:D6}-r{_random.Next():x8}";

    private string Letters(int n)
    {
        var chars = new char[n];
        for (var k = 0; k < n; k++)
        {
            chars[k] = (char)('a' + _random.Next(26));
        }

        return new string(chars);
    }

    private int NextIndex() => _random.Next(1_000_000);

    private void Add(string category, string json, Expected expected, string? reason = null, string? id = null, byte[]? key = null, int i = -1) =>
        Add(category, Bytes(json), expected, reason, id, key, i);

    private void Add(string category, byte[] value, Expected expected, string? reason = null, string? id = null, byte[]? key = null, int i = -1)
    {
        _messages.Add(new CorpusMessage
        {
            Category = category,
            Value = value,
            Key = key ?? (i >= 0 ? Encoding.UTF8.GetBytes(Card(i)) : null),
            Expected = expected,
            Reason = reason,
            Id = expected == Expected.Decided ? id : null,
        });
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private void RandomBytes()
    {
        var bytes = new byte[_random.Next(0, 300)];
        _random.NextBytes(bytes);
        if (bytes.Length > 0 && _random.Next(4) == 0)
        {
            bytes[0] = (byte)'{'; // past the first check, into the reader
        }

        Add("random_bytes", bytes, Expected.DeadLettered, key: _random.Next(2) == 0 ? null : bytes.AsSpan(0, Math.Min(8, bytes.Length)).ToArray());
    }

    private void RandomText()
    {
        // Valid UTF-8 that is no transaction: letters, JSON punctuation, escapes, astral characters.
        string[] pieces = ["{", "}", "[", "]", ":", ",", "\"", "\\", "\\u0000", "id", "amount", "null", "true", "1e999", "-", "é", "😀", "\u202e", " ", "\n", "0", "\uFEFF"];
        var sb = new StringBuilder();
        var n = _random.Next(1, 60);
        for (var k = 0; k < n; k++)
        {
            sb.Append(Pick(pieces));
        }

        Add("random_text", sb.ToString(), Expected.DeadLettered);
    }

    private void Truncated()
    {
        var i = NextIndex();
        var id = NextId("trunc");
        var json = Bytes(Tx(id, i));
        var cut = _random.Next(0, json.Length - 1); // never the whole document
        Add("truncated", json.AsSpan(0, cut).ToArray(), Expected.DeadLettered, "invalid_json", key: null, i: i);
    }

    private void ByteFlip()
    {
        var i = NextIndex();
        var id = NextId("flip");
        var json = Bytes(Tx(id, i));
        var flips = _random.Next(1, 4);
        for (var k = 0; k < flips; k++)
        {
            json[_random.Next(json.Length)] = (byte)_random.Next(256);
        }

        Add("byte_flip", json, Expected.Either, i: i);
    }

    private void DeepNesting()
    {
        var i = NextIndex();
        var id = NextId("deep");
        int[] depths = [3, 10, 20, 64, 1000, 20_000];
        var depth = Pick(depths);
        var array = _random.Next(2) == 0;
        var open = array ? "[" : "{\"a\":";
        var close = array ? "]" : "}";
        var nested = new StringBuilder();
        for (var k = 0; k < depth; k++)
        {
            nested.Append(open);
        }

        nested.Append('1');
        for (var k = 0; k < depth; k++)
        {
            nested.Append(close);
        }

        var inKnownField = _random.Next(3) == 0;
        var json = Tx(id, i, (inKnownField ? "merchant" : "extra", nested.ToString()));
        // Depth counts the transaction's own object: 1 + depth levels. The reader allows 16. A known field is refused
        // at its first token (not a string); anything over 64 KiB for its size.
        if (Encoding.UTF8.GetByteCount(json) > 64 * 1024)
        {
            Add("deep_nesting", json, Expected.DeadLettered, "payload_too_large", i: i);
        }
        else if (inKnownField)
        {
            Add("deep_nesting", json, Expected.DeadLettered, "wrong_type", i: i);
        }
        else if (depth + 1 <= 16)
        {
            Add("deep_nesting", json, Expected.Decided, id: id, i: i);
        }
        else
        {
            Add("deep_nesting", json, Expected.DeadLettered, "invalid_json", i: i);
        }
    }

    private void GiantValue()
    {
        var i = NextIndex();
        var id = NextId("giant");
        switch (_random.Next(9))
        {
            case 0:
                Add("giant_value", Tx(id, i, ("merchant", Quote(new string('m', 257)))), Expected.DeadLettered, "invalid_value", i: i);
                break;
            case 1:
                var longId = id + new string('x', 256 - id.Length);
                Add("giant_value", Tx(longId, i), Expected.Decided, id: longId, i: i);
                break;
            case 2:
                Add("giant_value", Tx(id, i, ("extra", Quote(new string('z', _random.Next(1000, 60_000))))), Expected.Decided, id: id, i: i);
                break;
            case 3:
                // Over the parser's 64 KiB: refused for its size, whatever it holds. Few of these: the dead-letter
                // topic keeps a 64 KiB copy of each.
                if (_random.Next(20) == 0)
                {
                    Add("giant_value", Tx(id, i, ("extra", Quote(new string('z', _random.Next(70_000, 300_000))))), Expected.DeadLettered, "payload_too_large", i: i);
                }

                break;
            case 4:
                Add("giant_value", Tx(id, i, ("device", Quote(new string('d', _random.Next(257, 60_000))))), Expected.DeadLettered, "invalid_value", i: i);
                break;
            case 5:
                Add("giant_value", Tx(id, i, ("amount", "1" + new string('0', _random.Next(30, 5000)))), Expected.DeadLettered, "amount_out_of_range", i: i);
                break;
            case 6:
                Add("giant_value", Tx(id, i, ("amount", "12." + new string('5', _random.Next(30, 5000)))), Expected.Either, i: i);
                break;
            case 7:
                Add("giant_value", Tx(id, i, ("category", Quote(new string('c', 10_000)))), Expected.DeadLettered, "invalid_value", i: i);
                break;
            default:
                var many = new StringBuilder();
                for (var k = 0; k < 2000; k++)
                {
                    many.Append($"\"f{k}\":{k},");
                }

                var json = Tx(id, i).Insert(1, many.ToString());
                Add("giant_value", json, Expected.Decided, id: id, i: i);
                break;
        }
    }

    private void UnicodeEdge()
    {
        var i = NextIndex();
        var id = NextId("uni");
        switch (_random.Next(16))
        {
            case 0:
                Add("unicode", Tx(id + "-😀", i, ("merchant", Quote("Café 東京 😀"))), Expected.Decided, id: id + "-😀", i: i);
                break;
            case 1:
                // A valid pair of escaped surrogates is one astral character.
                Add("unicode", Tx(id, i, ("merchant", Quote("m\\ud83d\\ude00"))), Expected.Decided, id: id, i: i);
                break;
            case 2:
                Add("unicode", Tx(id, i, ("merchant", Quote("m\\ud83d"))), Expected.DeadLettered, "invalid_value", i: i);
                break;
            case 3:
                Add("unicode", Tx(id, i, ("category", Quote("\\ude00x"))), Expected.DeadLettered, "invalid_value", i: i);
                break;
            case 4:
                Add("unicode", Tx(id, i, ("merchant", Quote("a\\u0000b"))), Expected.DeadLettered, "invalid_value", i: i);
                break;
            case 5:
                // Overlong encoding of '/', then a lone continuation byte: not UTF-8.
                var bytes = Bytes(Tx(id, i, ("merchant", Quote("AB"))));
                var at = Array.IndexOf(bytes, (byte)'A');
                bytes[at] = 0xC0;
                bytes[at + 1] = _random.Next(2) == 0 ? (byte)0xAF : (byte)0x80;
                Add("unicode", bytes, Expected.DeadLettered, "invalid_utf8", i: i);
                break;
            case 6:
                // An encoded surrogate (CESU-8 style): not UTF-8.
                var cesu = Bytes(Tx(id, i, ("merchant", Quote("ABC"))));
                var c = Array.IndexOf(cesu, (byte)'A');
                cesu[c] = 0xED;
                cesu[c + 1] = 0xA0;
                cesu[c + 2] = 0x80;
                Add("unicode", cesu, Expected.DeadLettered, "invalid_utf8", i: i);
                break;
            case 7:
                // A raw control character inside a string is not JSON.
                Add("unicode", Tx(id, i, ("merchant", "\"a\u0001b\"")), Expected.DeadLettered, "invalid_json", i: i);
                break;
            case 8:
                Add("unicode", "\uFEFF" + Tx(id, i), Expected.Either, i: i);
                break;
            case 9:
                Add("unicode", Tx(id, i, ("merchant", Quote("\u202eevil\u202c\u200b\u2060"))), Expected.Decided, id: id, i: i);
                break;
            case 10:
                Add("unicode", Tx(id, i, ("merchant", Quote("e\u0301\u0301\u0301\u0301\u0301\u0301\u0301"))), Expected.Decided, id: id, i: i);
                break;
            case 11:
                Add("unicode", Tx(id, i, ("merchant", Quote("\uFFFF\uFFFE\U0010FFFF"))), Expected.Decided, id: id, i: i);
                break;
            case 12:
                Add("unicode", Tx(id, i, ("currency", Quote("€UR"))), Expected.DeadLettered, "unknown_currency", i: i);
                break;
            case 13:
                Add("unicode", Tx(id, i, ("currency", Quote("\\u0045UR"))), Expected.Either, i: i);
                break;
            case 14:
                // Digits that are not ASCII: text, not a number.
                Add("unicode", Tx(id, i, ("amount", "١٢")), Expected.DeadLettered, "invalid_json", i: i);
                break;
            default:
                // The id, escaped character by character, is the same id.
                var escaped = string.Concat(id.Select(ch => $"\\u{(int)ch:x4}"));
                Add("unicode", Tx(id, i, ("id", Quote(escaped))), Expected.Decided, id: id, i: i);
                break;
        }
    }

    private void NumericEdge()
    {
        var i = NextIndex();
        var id = NextId("num");
        (string Field, string Raw, Expected Expected, string? Reason)[] cases =
        [
            ("amount", "0", Expected.DeadLettered, "non_positive_amount"),
            ("amount", "-0", Expected.DeadLettered, "non_positive_amount"),
            ("amount", "-0.0", Expected.DeadLettered, "non_positive_amount"),
            ("amount", "-12.5", Expected.DeadLettered, "non_positive_amount"),
            ("amount", "1e-30", Expected.Either, null),
            ("amount", "0.001", Expected.Either, null),
            ("amount", "0.01", Expected.Decided, null),
            ("amount", "1e16", Expected.DeadLettered, "amount_out_of_range"),
            ("amount", "9999999999999999.99", Expected.Decided, null),
            ("amount", "9999999999999999.995", Expected.DeadLettered, "amount_out_of_range"),
            ("amount", "79228162514264337593543950336", Expected.DeadLettered, "amount_out_of_range"),
            ("amount", "1e308", Expected.DeadLettered, "amount_out_of_range"),
            ("amount", "1e400", Expected.DeadLettered, "amount_out_of_range"),
            ("amount", "-1e400", Expected.DeadLettered, null),
            ("amount", "1E2", Expected.Decided, null),
            ("amount", "1.0e+2", Expected.Decided, null),
            ("amount", "01", Expected.DeadLettered, "invalid_json"),
            ("amount", ".5", Expected.DeadLettered, "invalid_json"),
            ("amount", "1.", Expected.DeadLettered, "invalid_json"),
            ("amount", "NaN", Expected.DeadLettered, "invalid_json"),
            ("amount", "Infinity", Expected.DeadLettered, "invalid_json"),
            ("amount", "0x10", Expected.DeadLettered, "invalid_json"),
            ("amount", "+5", Expected.DeadLettered, "invalid_json"),
            ("amount", "\"12.50\"", Expected.DeadLettered, "wrong_type"),
            ("amount", "true", Expected.DeadLettered, "wrong_type"),
            ("amount", "[12.5]", Expected.DeadLettered, "wrong_type"),
            ("amount", "null", Expected.DeadLettered, "wrong_type"),
            ("lat", "90", Expected.Decided, null),
            ("lat", "-90.0", Expected.Decided, null),
            ("lat", "90.0000001", Expected.DeadLettered, "invalid_value"),
            ("lat", "1e400", Expected.DeadLettered, "invalid_value"),
            ("lon", "-1e400", Expected.DeadLettered, "invalid_value"),
            ("lon", "1e-400", Expected.Decided, null),
            ("lon", "-0.0", Expected.Decided, null),
            ("lon", "180.00000000000000000000000001", Expected.Either, null),
            ("lat", "null", Expected.Decided, null),
            ("lat", "\"52.5\"", Expected.DeadLettered, "wrong_type"),
            ("lon", "1" + new string('0', 400), Expected.DeadLettered, "invalid_value"),
        ];
        var (field, raw, expected, reason) = Pick(cases);
        Add("numeric", Tx(id, i, (field, raw)), expected, reason, id, i: i);
    }

    private void TimestampEdge()
    {
        var i = NextIndex();
        var id = NextId("ts");
        (string Raw, Expected Expected, string? Reason)[] cases =
        [
            ("\"0001-01-01T00:00:00Z\"", Expected.Decided, null),
            ("\"0001-01-01T00:00:00+14:00\"", Expected.Either, null),
            ("\"1970-01-01T00:00:00Z\"", Expected.Decided, null),
            ("\"1969-12-31T23:59:59.9999999Z\"", Expected.Decided, null),
            ("\"2000-02-29T12:00:00Z\"", Expected.Decided, null),
            ("\"2026-11-01T10:00:00.123456789Z\"", Expected.Either, null),
            ("\"2026-11-01T10:00:00\"", Expected.Either, null),
            ("\"2026-11-01\"", Expected.Either, null),
            ("\"2026-11-01t10:00:00z\"", Expected.Either, null),
            ("\"2026-11-01 10:00:00Z\"", Expected.Either, null),
            ("\"2100-01-01T00:00:00Z\"", Expected.DeadLettered, "timestamp_out_of_range"),
            ("\"9999-12-31T23:59:59.9999999Z\"", Expected.DeadLettered, "timestamp_out_of_range"),
            ("\"9999-12-31T23:59:59-14:00\"", Expected.DeadLettered, null),
            ("\"10000-01-01T00:00:00Z\"", Expected.DeadLettered, "invalid_timestamp"),
            ("\"2026-02-30T00:00:00Z\"", Expected.DeadLettered, "invalid_timestamp"),
            ("\"2026-11-01T25:00:00Z\"", Expected.DeadLettered, "invalid_timestamp"),
            ("\"2026-12-31T23:59:60Z\"", Expected.DeadLettered, "invalid_timestamp"),
            ("\"2026-11-01T10:00:00+25:00\"", Expected.DeadLettered, "invalid_timestamp"),
            ("\"\"", Expected.DeadLettered, "invalid_timestamp"),
            ("\"yesterday\"", Expected.DeadLettered, "invalid_timestamp"),
            ("1793491200", Expected.DeadLettered, "wrong_type"),
            ("null", Expected.DeadLettered, "wrong_type"),
        ];
        var (raw, expected, reason) = Pick(cases);
        Add("timestamp", Tx(id, i, ("ts", raw)), expected, reason, id, i: i);
    }

    private void Structure()
    {
        var i = NextIndex();
        var id = NextId("struct");
        var valid = Tx(id, i);
        string[] required = ["id", "ts", "card", "merchant", "category", "amount", "currency", "country"];
        switch (_random.Next(14))
        {
            case 0:
                Add("structure", Pick(new[] { "[]", "[" + valid + "]", "\"text\"", "42", "null", "true" }), Expected.DeadLettered, "not_an_object", i: i);
                break;
            case 1:
                Add("structure", "{}", Expected.DeadLettered, "missing_field", i: i);
                break;
            case 2:
                Add("structure", Tx(id, i, (Pick(required), null)), Expected.DeadLettered, "missing_field", i: i);
                break;
            case 3:
                Add("structure", Tx(id, i, (Pick(new[] { "id", "card", "merchant", "category" }), "null")), Expected.DeadLettered, "missing_field", i: i);
                break;
            case 4:
                Add("structure", Tx(id, i, (Pick(new[] { "id", "card", "merchant", "currency", "device", "channel" }), Pick(new[] { "1", "{}", "[]", "false" }))), Expected.DeadLettered, "wrong_type", i: i);
                break;
            case 5:
                Add("structure", Tx(id, i, ("id", "\"\"")), Expected.DeadLettered, "invalid_value", i: i);
                break;
            case 6:
                Add("structure", Tx(id, i, ("lat", null), ("lon", null), ("device", null), ("channel", null)), Expected.Decided, id: id, i: i);
                break;
            case 7:
                Add("structure", Tx(id, i, ("device", "null"), ("channel", "null")), Expected.Decided, id: id, i: i);
                break;
            case 8:
                Add("structure", " \r\n\t" + valid + " \n", Expected.Decided, id: id, i: i);
                break;
            case 9:
                // Content after the object: not one JSON document (another reader would refuse it, or read the second).
                Add("structure", valid + Pick(new[] { "x", "}", "{}", ",", valid }), Expected.DeadLettered, "invalid_json", i: i);
                break;
            case 10:
                Add("structure", valid.Insert(1, "/* c */"), Expected.DeadLettered, "invalid_json", i: i);
                break;
            case 11:
                Add("structure", valid[..^1] + ",}", Expected.DeadLettered, "invalid_json", i: i);
                break;
            case 12:
                Add("structure", valid.Replace("\"id\":", "id:", StringComparison.Ordinal), Expected.DeadLettered, "invalid_json", i: i);
                break;
            default:
                Add("structure", Tx(id, i, ("channel", Quote(Pick(new[] { "fax", "ECOM", "", "pos ", "\\u0070os" })))), Expected.Either, i: i);
                break;
        }
    }

    /// <summary>A card number (13–19 digits, Luhn-valid) that no other part of the corpus holds.</summary>
    private string NewPan(int? length = null)
    {
        var n = length ?? _random.Next(13, 20);
        var digits = new int[n];
        digits[0] = Pick(new[] { 3, 4, 5, 6 });
        for (var k = 1; k < n - 1; k++)
        {
            digits[k] = _random.Next(10);
        }

        // Luhn: double every second digit from the right, the check digit excluded.
        var sum = 0;
        for (var k = n - 2; k >= 0; k--)
        {
            var d = digits[k];
            if ((n - 2 - k) % 2 == 0)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        digits[n - 1] = (10 - (sum % 10)) % 10;
        return string.Concat(digits);
    }

    /// <summary>A PAN as a producer might write it: plain, grouped by spaces, dashes or dots.</summary>
    private string Written(string pan)
    {
        var style = _random.Next(4);
        if (style == 0)
        {
            return pan;
        }

        var sep = style == 1 ? " " : style == 2 ? "-" : ".";
        var sb = new StringBuilder();
        for (var k = 0; k < pan.Length; k++)
        {
            if (k > 0 && k % 4 == 0)
            {
                sb.Append(sep);
            }

            sb.Append(pan[k]);
        }

        return sb.ToString();
    }

    private void PanBearing()
    {
        var i = NextIndex();
        var id = NextId("pan");
        var pan = Written(NewPan());
        var key = _random.Next(3) == 0 ? Encoding.UTF8.GetBytes(pan) : null;
        var which = _random.Next(10);
        _pans.Add((pan, $"pan_bearing #{which}{(key is null ? "" : ", also the key")}"));
        switch (which)
        {
            case 0:
                Add("pan_bearing", Tx(id, i, ("card", Quote(pan))), Expected.Decided, id: id, key: key, i: i);
                break;
            case 1:
                Add("pan_bearing", Tx(id, i, ("merchant", Quote("Shop " + pan)), ("device", Quote("dev " + pan))), Expected.Decided, id: id, key: key, i: i);
                break;
            case 2:
                Add("pan_bearing", Tx($"tx-{pan}", i, ("category", Quote("cat " + pan))), Expected.Decided, id: null, key: key, i: i);
                break;
            case 3:
                Add("pan_bearing", Tx(id, i, ("card", Quote(pan)), ("amount", "0")), Expected.DeadLettered, "non_positive_amount", key: key, i: i);
                break;
            case 4:
                // Quoted in the dead letter's detail; a long one is cut there, which must not leave its digits readable.
                var longPan = NewPan(_random.Next(16, 20));
                _pans.Add((longPan, "pan_bearing #4"));
                Add("pan_bearing", Tx(id, i, (Pick(new[] { "currency", "country" }), Quote(Written(longPan)))), Expected.DeadLettered, null, key: key, i: i);
                break;
            case 5:
                Add("pan_bearing", $"{{\"id\":\"{id}\",\"card\":\"{pan}\",oops}}", Expected.DeadLettered, "invalid_json", key: key, i: i);
                break;
            case 6:
                // Digits written as JSON escapes.
                var escaped = string.Concat(pan.Select(ch => char.IsAsciiDigit(ch) && _random.Next(2) == 0 ? $"\\u{(int)ch:x4}" : ch.ToString()));
                Add("pan_bearing", Tx(id, i, ("card", Quote(escaped))), Expected.Decided, id: id, key: key, i: i);
                break;
            case 7:
                Add("pan_bearing", Tx(id, i, ("note", Quote(pan)), ("card", Quote(pan))), Expected.Decided, id: id, key: key, i: i);
                break;
            case 8:
                // Truncated inside the card number.
                var json = Tx(id, i, ("card", Quote(pan)));
                var cut = json.IndexOf(pan, StringComparison.Ordinal) + _random.Next(1, pan.Length);
                Add("pan_bearing", json[..cut], Expected.DeadLettered, "invalid_json", key: key, i: i);
                break;
            default:
                Add("pan_bearing", Tx(id, i, ("card", Quote(pan)), ("ts", "\"9999-12-31T00:00:00Z\"")), Expected.DeadLettered, "timestamp_out_of_range", key: key, i: i);
                break;
        }
    }

    private void DuplicateField()
    {
        var i = NextIndex();
        var id = NextId("dupfield");
        string[] fields = ["id", "ts", "card", "merchant", "category", "amount", "currency", "country", "lat", "lon", "device", "channel"];
        var field = Pick(fields);
        var json = Tx(id, i);
        var copy = _random.Next(2) == 0 ? "\"" + field + "\":null" : "\"" + string.Concat(field.Select(ch => $"\\u{(int)ch:x4}")) + "\":1";
        Add("duplicate_field", json[..^1] + "," + copy + "}", Expected.DeadLettered, "duplicate_field", i: i);
    }

    private void KeyAndHeaders()
    {
        var i = NextIndex();
        var id = NextId("hdr");
        var value = Bytes(Tx(id, i));
        var headers = new Headers();
        byte[]? key = Encoding.UTF8.GetBytes(Card(i));
        var timestamp = Timestamp.Default;
        switch (_random.Next(6))
        {
            case 0:
                key = null;
                break;
            case 1:
                key = new byte[_random.Next(300, 4000)];
                _random.NextBytes(key);
                break;
            case 2:
                var created = new byte[8];
                _random.NextBytes(created); // any creation time, negative or far ahead
                headers.Add("fs-created-us", created);
                break;
            case 3:
                headers.Add("fs-created-us", new byte[_random.Next(0, 8)]);
                headers.Add("fs.source", [1, 2, 3]);
                break;
            case 4:
                timestamp = new Timestamp(_random.Next(2) == 0 ? DateTime.UnixEpoch : new DateTime(2200, 1, 1, 0, 0, 0, DateTimeKind.Utc), TimestampType.CreateTime);
                break;
            default:
                for (var k = 0; k < 50; k++)
                {
                    headers.Add("h" + k, new byte[_random.Next(0, 100)]);
                }

                break;
        }

        _messages.Add(new CorpusMessage
        {
            Category = "key_and_headers", Value = value, Key = key, Expected = Expected.Decided, Id = id, Headers = headers, Timestamp = timestamp,
        });
    }

    /// <summary>A good transaction's id sent again on the same card with other content.</summary>
    private void ConflictingDuplicate()
    {
        var original = Pick(_good);
        var json = Encoding.UTF8.GetString(original.Value);
        var changed = _random.Next(3) switch
        {
            0 => json.Replace("\"currency\":\"EUR\"", "\"currency\":\"USD\"", StringComparison.Ordinal),
            1 => json.Replace("\"lat\":52.52", "\"lat\":-52.52", StringComparison.Ordinal),
            _ => json.Replace("\"country\":\"DE\"", "\"country\":\"FR\"", StringComparison.Ordinal),
        };
        _messages.Add(new CorpusMessage
        {
            Category = "conflicting_duplicate", Value = Bytes(changed), Key = original.Key, Expected = Expected.DeadLettered,
            Reason = "conflicting_duplicate", After = original,
        });
    }

    private void IdenticalResend()
    {
        var original = Pick(_good);
        _messages.Add(new CorpusMessage
        {
            Category = "identical_resend", Value = original.Value, Key = original.Key, Expected = Expected.Resent, After = original,
        });
    }

    /// <summary>A dead-lettered message's id, later sent valid: the dead letter does not take the id, the valid one is decided.</summary>
    private void ReusedAfterDeadLetter()
    {
        var i = NextIndex();
        var id = NextId("reuse");
        var bad = new CorpusMessage
        {
            Category = "id_reused_after_dead_letter", Value = Bytes(Tx(id, i, ("currency", Quote("XXY")))),
            Key = Encoding.UTF8.GetBytes(Card(i)), Expected = Expected.DeadLettered, Reason = "unknown_currency",
        };
        _messages.Add(bad);
        _messages.Add(new CorpusMessage
        {
            Category = "id_reused_after_dead_letter", Value = Bytes(Tx(id, i)), Key = bad.Key, Expected = Expected.Decided, Id = id, After = bad,
        });
    }

    private List<CorpusLabel> MakeLabels()
    {
        var labels = new List<CorpusLabel>();
        for (var k = 0; k < 40; k++)
        {
            var good = _good[k];
            labels.Add(new("label_good", Bytes($"{{\"id\":\"{good.Id}\",\"fraud\":{(k % 2 == 0 ? "true" : "false")},\"reported_at\":\"2026-11-02T00:00:00Z\"}}"), good.Key, true, null));
        }

        for (var k = 0; k < 60; k++)
        {
            var pan = Written(NewPan());
            _pans.Add((pan, $"label #{k % 12}"));
            var (category, json, valid, reason) = (k % 12) switch
            {
                0 => ("label_pan", $"{{\"id\":\"tx-{pan}\",\"fraud\":true,\"reported_at\":\"2026-11-02T00:00:00Z\"}}", true, (string?)null),
                1 => ("label_pan", $"{{\"id\":\"{pan}\",\"fraud\":\"yes\",\"reported_at\":\"2026-11-02T00:00:00Z\"}}", false, "invalid_label"),
                2 => ("label_pan", $"{{\"id\":\"{pan}\",\"fraud\":true,\"reported_at\":\"2026-11-02T00:00:00Z\"", false, "invalid_label"),
                3 => ("label_malformed", "[1,2", false, "invalid_label"),
                4 => ("label_malformed", "{\"id\":\"a\\u0000b\",\"fraud\":true,\"reported_at\":\"2026-11-02T00:00:00Z\"}", false, "invalid_label"),
                5 => ("label_malformed", $"{{\"id\":\"{Letters(5000)}\",\"fraud\":true,\"reported_at\":\"2026-11-02T00:00:00Z\"}}", false, "invalid_label"),
                6 => ("label_malformed", new string('[', 10_000) + new string(']', 10_000), false, "invalid_label"),
                7 => ("label_malformed", "{\"id\":\"x\",\"fraud\":true,\"reported_at\":\"9999-12-31T00:00:00Z\"}", false, "timestamp_out_of_range"),
                8 => ("label_malformed", "{\"id\":\"x\",\"fraud\":true,\"reported_at\":\"31/12/2026\"}", false, "invalid_label"),
                9 => ("label_malformed", "{\"id\":\"\\ud800\",\"fraud\":true,\"reported_at\":\"2026-11-02T00:00:00Z\"}", false, "invalid_label"),
                10 => ("label_malformed", "", false, "invalid_label"),
                _ => ("label_malformed", "{\"id\":\"x\",\"fraud\":true,\"reported_at\":\"2026-11-02T00:00:00Z\"} trailing", false, "invalid_label"),
            };
            labels.Add(new(category, Bytes(json), _random.Next(2) == 0 ? Encoding.UTF8.GetBytes(pan) : null, valid, reason));
        }

        var bytes = new byte[64];
        _random.NextBytes(bytes);
        labels.Add(new("label_malformed", bytes, null, false, "invalid_label"));
        return labels;
    }
}
