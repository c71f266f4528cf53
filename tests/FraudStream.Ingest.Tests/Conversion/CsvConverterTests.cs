using System.IO.Compression;
using System.Text;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Conversion;
using FraudStream.Ingest.Replay;
using FraudStream.Testing;

namespace FraudStream.Ingest.Tests.Conversion;

public sealed class CsvConverterTests : IDisposable
{
    /// <summary>What docs/MODEL.md gives for BankSim: the same rows, times and labels as BankSimReader.</summary>
    public static readonly string[] BankSimMapping =
    [
        "ts=step|days", "card=customer", "merchant=merchant", "category=category|strip-prefix:es_", "amount=amount",
        "currency=const:EUR", "country=const:ES", "channel=const:pos", "fraud=fraud",
    ];

    public static readonly CsvConvertOptions BankSimOptions = new()
    {
        Quote = '\'', IdPrefix = "bs", TimeOrigin = new DateTime(2026, 10, 31, 23, 0, 0, DateTimeKind.Utc),
    };

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CsvMapping Mapping(params string[] pairs)
    {
        Assert.True(CsvMapping.TryParse(pairs, out var mapping, out var problems), string.Join("; ", problems));
        return mapping;
    }

    private static List<ReplayRecord> ReadBack(string path) => [.. new JsonLinesReader(path).Read()];

    [Fact]
    public void Quoted_fields_constants_and_modifiers_become_contract_transactions_with_labels_at_their_reported_time()
    {
        var csv = _dir.Write("export.csv",
            "txn_id;when;pan;shop;mcc_name;value;ccy;fraud_flag;chargeback;lat;lon;kind\n" +
            "t1;2026-03-01T10:00:00Z;4111;\"Shop; \"\"The\"\" Best\";CAT_FOOD;12.50;eur;1;2026-03-05T00:00:00Z;48.85;2.35;ECOM\n" +
            "t2;2026-03-01T09:00:00+01:00;4222;Other;CAT_TRAVEL;99;eur;0;;;;\n" +
            "t3;2026-03-01T11:00:00Z;4333;Third;CAT_FOOD;5;eur;;;;;pos\n");
        var output = _dir.File("out.jsonl");
        var mapping = Mapping("id=txn_id", "ts=when", "card=pan", "merchant=shop", "category=mcc_name|strip-prefix:CAT_|lower", "amount=value",
            "currency=ccy|upper", "country=const:FR", "fraud=fraud_flag", "reported_at=chargeback", "lat=lat", "lon=lon", "channel=kind");

        var result = CsvConverter.Convert(csv, output, mapping, new CsvConvertOptions { Delimiter = ';', MinLabelDelayDays = 2, MaxLabelDelayDays = 2 });

        Assert.Equal((3L, 3L, 2L, 0L), (result.Rows, result.Transactions, result.Labels, result.Bad));
        var records = ReadBack(output);
        // Sorted by time: t2 is 08:00Z. Its label (no chargeback date) comes 2 days later, after every transaction.
        Assert.Equal(["t2", "t1", "t3"], records.Where(r => r.IsTransaction).Select(r => r.Transaction!.Id));
        var t1 = records.Single(r => r.Transaction?.Id == "t1").Transaction!;
        Assert.Equal("Shop; \"The\" Best", t1.Merchant);
        Assert.Equal("food", t1.Category);
        Assert.Equal("EUR", t1.Currency);
        Assert.Equal("FR", t1.Country);
        Assert.Equal(12.50m, t1.Amount);
        Assert.Equal(48.85, t1.Latitude);
        Assert.Equal(PaymentChannel.Ecom, t1.Channel);
        var t2 = records.Single(r => r.Transaction?.Id == "t2").Transaction!;
        Assert.Equal(new DateTime(2026, 3, 1, 8, 0, 0, DateTimeKind.Utc), t2.Timestamp);
        Assert.False(t2.HasLocation);
        Assert.Equal(PaymentChannel.Unknown, t2.Channel);
        var labels = records.Where(r => r.IsLabelOnly).Select(r => r.Label!).ToList();
        Assert.Equal([new Label("t2", false, new DateTime(2026, 3, 3, 8, 0, 0, DateTimeKind.Utc)), new Label("t1", true, new DateTime(2026, 3, 5, 0, 0, 0, DateTimeKind.Utc))], labels);
        Assert.True(records.FindIndex(r => r.IsLabelOnly) > records.FindIndex(r => r.Transaction?.Id == "t3"));
    }

    [Fact]
    public void Bad_rows_are_skipped_counted_and_reported_with_their_line_numbers()
    {
        var csv = _dir.Write("bad.csv",
            "id,ts,card,merchant,category,amount,currency,fraud\n" +
            "a,2026-01-01T00:00:00Z,c1,m1,food,10,EUR,0\n" +
            "b,2026-01-01T00:01:00Z,c1,m1,food,0,EUR,0\n" +
            "c,yesterday,c1,m1,food,10,EUR,0\n" +
            "\n" +
            "d,2026-01-01T00:02:00Z,c1,m1,food,10,XXX,0\n" +
            "e,2026-01-01T00:03:00Z,c1,m1,food,10,EUR\n" +
            "f,2026-01-01T00:04:00Z,\"c1,m1,food,10,EUR,0\n" +
            "g,2026-01-01T00:05:00Z,c1,m1,food,10,EUR,maybe\n" +
            "h,2026-01-01T00:06:00Z,c2,m1,food,1e3,EUR,1\n");
        var output = _dir.File("bad.jsonl.gz");
        var mapping = Mapping("id=id", "ts=ts", "card=card", "merchant=merchant", "category=category", "amount=amount", "currency=currency",
            "country=const:DE", "fraud=fraud");

        var result = CsvConverter.Convert(csv, output, mapping, new CsvConvertOptions());

        Assert.Equal(1, result.Transactions);
        Assert.Equal(7, result.Bad);
        Assert.Equal(8, result.Rows);
        var reasons = result.FirstBadRows.ToDictionary(b => b.LineNumber, b => b.Reason);
        Assert.Equal([3L, 4L, 6L, 7L, 8L, 9L, 10L], reasons.Keys.Order());
        Assert.Contains("greater than zero", reasons[3], StringComparison.Ordinal);
        Assert.Contains("yesterday", reasons[4], StringComparison.Ordinal);
        Assert.Contains("XXX", reasons[6], StringComparison.Ordinal);
        Assert.Contains("expected 8 columns, found 7", reasons[7], StringComparison.Ordinal);
        Assert.Contains("quote", reasons[8], StringComparison.Ordinal);
        Assert.Contains("maybe", reasons[9], StringComparison.Ordinal);
        Assert.Contains("1e3", reasons[10], StringComparison.Ordinal);
        Assert.Equal(["a"], ReadBack(output).Where(r => r.IsTransaction).Select(r => r.Transaction!.Id));
    }

    [Fact]
    public void The_BankSim_mapping_gives_the_transactions_times_and_labels_of_the_BankSim_reader()
    {
        var csv = _dir.Write("banksim.csv",
            "step,customer,age,gender,zipcodeOri,merchant,zipMerchant,category,amount,fraud\n" +
            "0,'C1093826151','4','M','28007','M348934600','28007','es_transportation',4.55,0\n" +
            "0,'C352968107','2','M','28007','M348934600','28007','es_transportation',39.68,0\n" +
            "0,'C2054744914','4','F','28007','M1823072687','28007','es_health',0,0\n" +
            "1,'C583110837','3','M','28007','M480139044','28007','es_travel',2011.24,1\n" +
            "1,'C1315400589','3','F','28007','M348934600','28007','es_transportation',22.10,0\n" +
            "1,'C1093826151','4','M','28007','M348934600','28007','es_transportation',17.02,0\n" +
            "2,'C352968107','2','M','28007','M1053599405','28007','es_sportsandtoys',80.50,1\n");
        var gzipped = _dir.File("banksim.jsonl.gz");

        var result = CsvConverter.Convert(csv, gzipped, Mapping(BankSimMapping), BankSimOptions);

        var expected = ReplayTimeline.InEventTimeOrder(new BankSimReader(csv).Read().Where(r => !r.IsBad)).Select(Render).ToList();
        var converted = ReadBack(gzipped).Select(Render).ToList();
        Assert.Equal(1, result.Bad);
        Assert.Equal(12, converted.Count);
        Assert.Equal(expected, converted);
        using var head = File.OpenRead(gzipped);
        Assert.True(ReplayFile.IsGzip([(byte)head.ReadByte(), (byte)head.ReadByte()]));
    }

    [Fact]
    public void A_gzip_input_converts_like_the_plain_one()
    {
        const string Content = "card,merchant,category,amount,t\nc1,m1,food,3.5,1767225600\nc2,m1,food,4,1767225660\n";
        var plain = _dir.Write("plain.csv", Content);
        var gzip = _dir.File("packed.csv");
        using (var file = File.Create(gzip))
        using (var zip = new GZipStream(file, CompressionLevel.Fastest))
        {
            zip.Write(Encoding.UTF8.GetBytes(Content));
        }

        var mapping = Mapping("ts=t|unix", "card=card", "merchant=merchant", "category=category", "amount=amount", "currency=const:USD", "country=const:US");
        var a = CsvConverter.Convert(plain, _dir.File("a.jsonl"), mapping, new CsvConvertOptions());
        var b = CsvConverter.Convert(gzip, _dir.File("b.jsonl"), mapping, new CsvConvertOptions());

        Assert.Equal(2, a.Transactions);
        Assert.Equal(File.ReadAllText(_dir.File("a.jsonl")), File.ReadAllText(_dir.File("b.jsonl")));
        var first = ReadBack(_dir.File("a.jsonl"))[0].Transaction!;
        Assert.Equal("row-2", first.Id);
        Assert.Equal(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), first.Timestamp);
        Assert.Equal(0, b.Labels);
    }

    [Fact]
    public void Columns_without_a_header_are_named_by_position()
    {
        var csv = _dir.Write("nohead.csv", "2026-01-01T00:00:00Z,c1,m1,food,7\n");
        var mapping = Mapping("ts=#1", "card=#2", "merchant=#3", "category=#4", "amount=#5", "currency=const:GBP", "country=const:GB");

        var result = CsvConverter.Convert(csv, _dir.File("o.jsonl"), mapping, new CsvConvertOptions { Header = false });

        Assert.Equal(1, result.Transactions);
        Assert.Equal("row-1", ReadBack(_dir.File("o.jsonl"))[0].Transaction!.Id);
        var beyond = Mapping("ts=#1", "card=#2", "merchant=#3", "category=#4", "amount=#9", "currency=const:GBP", "country=const:GB");
        var error = Assert.Throws<InvalidDataException>(() => CsvConverter.Convert(csv, _dir.File("p.jsonl"), beyond, new CsvConvertOptions { Header = false }));
        Assert.Contains("#9", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_column_missing_from_the_header_is_refused_with_the_header_named()
    {
        var csv = _dir.Write("h.csv", "when,card,merchant,category,amount\n2026-01-01T00:00:00Z,c1,m1,food,7\n");
        var mapping = Mapping("ts=time", "card=card", "merchant=merchant", "category=category", "amount=amount", "currency=const:GBP", "country=const:GB");

        var error = Assert.Throws<InvalidDataException>(() => CsvConverter.Convert(csv, _dir.File("o.jsonl"), mapping, new CsvConvertOptions()));

        Assert.Contains("'time'", error.Message, StringComparison.Ordinal);
        Assert.Contains("when, card", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mapping_problems_are_reported_one_line_each()
    {
        Assert.False(CsvMapping.TryParse(["ts=t|weekly", "cardd=x", "card", "amount=const:", "reported_at=r", "merchant=m", "merchant=n"], out _, out var problems));

        Assert.Contains(problems, p => p.Contains("weekly", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("unknown field 'cardd'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'card': expected field=source", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("merchant is mapped twice", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("--map category=", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("--map currency=", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("reported_at needs --map fraud", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => CsvConverter.Convert(_dir.Write("x.csv", "s\n1\n"), _dir.File("x.jsonl"),
            Mapping("ts=s|days", "card=s", "merchant=s", "category=s", "amount=s", "currency=const:EUR", "country=const:ES"), new CsvConvertOptions()));
    }

    private static string Render(ReplayRecord r) => r.IsTransaction
        ? $"{Encoding.UTF8.GetString(TransactionJson.Serialize(r.Transaction))} {(r.Label is null ? "" : Encoding.UTF8.GetString(LabelJson.Serialize(r.Label)))}"
        : r.IsLabelOnly ? Encoding.UTF8.GetString(LabelJson.Serialize(r.Label)) : r.ToString();
}
