using System.Buffers.Binary;
using System.Text;
using Mamba.Core.Checkpoints;

namespace Mamba.Core.Tests.Checkpoints;

public sealed class SafeTensorsFileTests
{
    private static readonly SafeTensorsDType[] AllDTypes = Enum.GetValues<SafeTensorsDType>();

    /// <summary>Writes one tensor of every dtype (random bits) and returns the tensors, which the caller disposes.</summary>
    private static List<KeyValuePair<string, SafeTensor>> WriteEveryDType(string path, int seed, bool addHash = true)
    {
        var rng = new Random(seed);
        var tensors = new List<KeyValuePair<string, SafeTensor>>();
        foreach (var dtype in AllDTypes)
            tensors.Add(new($"t.{dtype}", CheckpointTestData.RandomBits([3, 5], dtype, rng)));
        tensors.Add(new("scalar", CheckpointTestData.RandomBits([], SafeTensorsDType.F32, rng)));
        tensors.Add(new("empty", CheckpointTestData.RandomBits([0, 4], SafeTensorsDType.F32, rng)));
        SafeTensorsFile.WriteFile(path, tensors, new Dictionary<string, string> { ["note"] = "test" }, addHash);
        return tensors;
    }

    [Fact]
    public void RoundTrip_IsBitExact_ForEveryDType()
    {
        using var dir = new TempFolder();
        var path = dir.File("all.safetensors");
        var written = WriteEveryDType(path, seed: 101);
        var content = SafeTensorsFile.Read(path);
        Assert.True(content.HashVerified);
        Assert.Equal("test", content.Metadata["note"]);
        Assert.Equal(written.Select(kv => kv.Key).Order(), content.Tensors.Keys.Order());
        foreach (var (name, expected) in written)
        {
            var actual = content.Tensors[name];
            Assert.Equal(expected.DType, actual.DType);
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(CheckpointTestData.RawBytes(expected), CheckpointTestData.RawBytes(actual));
        }
    }

    [Fact]
    public void Write_PadsHeader_SoDataStartsEightByteAligned()
    {
        using var dir = new TempFolder();
        var path = dir.File("a.safetensors");
        WriteEveryDType(path, seed: 102);
        var header = SafeTensorsFile.ReadHeader(path);
        Assert.Equal(0, header.DataStart % 8);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal((byte)'{', bytes[8]);
    }

    [Fact]
    public void HandWrittenFile_InPyTorchLayout_WithoutHash_Loads()
    {
        // Bytes built here by hand as PyTorch's safetensors writes them: the header JSON with
        // "__metadata__" {"format": "pt"}, padded with spaces to 8-byte alignment, then data.
        var rng = new Random(103);
        var a = new float[] { 1.5f, -2.25f, float.Epsilon, 3e38f, -0f, 0.1f };
        var b = new short[] { 1, -1, short.MaxValue, short.MinValue };
        byte[] bf16 = new byte[6];
        rng.NextBytes(bf16);
        var data = new List<byte>();
        foreach (var x in b) { var buf = new byte[2]; BinaryPrimitives.WriteInt16LittleEndian(buf, x); data.AddRange(buf); }   // [0, 8)
        data.AddRange(bf16);                                                                                                  // [8, 14)
        foreach (var x in a) { var buf = new byte[4]; BinaryPrimitives.WriteSingleLittleEndian(buf, x); data.AddRange(buf); } // [14, 38)
        string json = "{\"__metadata__\":{\"format\":\"pt\"},"
                    + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[14,38]},"
                    + "\"b\":{\"dtype\":\"I16\",\"shape\":[4],\"data_offsets\":[0,8]},"
                    + "\"c\":{\"dtype\":\"BF16\",\"shape\":[3,1],\"data_offsets\":[8,14]}}";
        var header = Encoding.UTF8.GetBytes(json).ToList();
        while ((8 + header.Count) % 8 != 0) header.Add((byte)' ');
        var file = new List<byte>();
        var len = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Count);
        file.AddRange(len);
        file.AddRange(header);
        file.AddRange(data);

        using var dir = new TempFolder();
        var path = dir.File("torch.safetensors");
        File.WriteAllBytes(path, file.ToArray());

        var content = SafeTensorsFile.Read(path);
        Assert.False(content.HashVerified);
        Assert.Equal("pt", content.Metadata["format"]);
        Assert.Equal(new long[] { 2, 3 }, content.Tensors["a"].Shape);
        Assert.Equal(a, content.Tensors["a"].ToFloats());
        Assert.Equal(b, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(content.Tensors["b"].Data).ToArray());
        Assert.Equal(SafeTensorsDType.BF16, content.Tensors["c"].DType);
        Assert.Equal(bf16, CheckpointTestData.RawBytes(content.Tensors["c"]));
    }

    [Theory]
    [InlineData(0)]   // empty file
    [InlineData(5)]   // inside the 8-byte length
    [InlineData(8)]   // right after the length
    [InlineData(20)]  // inside the header
    public void TruncatedFile_BeforeTheData_GivesTruncatedError(int keep)
    {
        using var dir = new TempFolder();
        var path = dir.File("model.safetensors");
        WriteEveryDType(path, seed: 104 + keep);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..keep]);

        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("the file is truncated", e.Message);
    }

    [Fact]
    public void TruncatedFile_InsideTheData_NamesTheTensorThatRunsPastTheEnd()
    {
        using var dir = new TempFolder();
        var path = dir.File("model.safetensors");
        WriteEveryDType(path, seed: 110);
        var header = SafeTensorsFile.ReadHeader(path);
        var full = File.ReadAllBytes(path);
        // Cut inside each tensor with data, and one byte short of the end.
        foreach (var entry in header.Entries.Where(e => e.ByteLength > 0))
        {
            foreach (var cut in new[] { header.DataStart + entry.Begin + 1, header.DataStart + entry.End - 1 })
            {
                File.WriteAllBytes(path, full[..(int)cut]);
                var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Read(path));
                Assert.Contains($"tensor '{entry.Name}' data_offsets [{entry.Begin}, {entry.End}] run past the end of the file ({cut} bytes", e.Message);
                Assert.Contains("the file is truncated", e.Message);
            }
        }
    }

    [Fact]
    public void FlippedByte_AnywhereInTheHeader_IsDetected()
    {
        using var dir = new TempFolder();
        var path = dir.File("model.safetensors");
        WriteEveryDType(path, seed: 111);
        var full = File.ReadAllBytes(path);
        long dataStart = SafeTensorsFile.ReadHeader(path).DataStart;
        var flipped = dir.File("flipped.safetensors");
        // Every byte of the length and the header, with three different bit flips each.
        for (int i = 0; i < dataStart; i++)
        {
            foreach (byte mask in new byte[] { 0x01, 0x20, 0x80 })
            {
                var copy = (byte[])full.Clone();
                copy[i] ^= mask;
                File.WriteAllBytes(flipped, copy);
                var e = Record.Exception(() => SafeTensorsFile.Read(flipped));
                Assert.True(e is CheckpointException, $"byte {i} ^ 0x{mask:X2} ('{(char)full[i]}'): {(e is null ? "loaded without error" : e.GetType().Name + ": " + e.Message)}");
                Assert.Contains(flipped, e!.Message);
            }
        }
    }

    [Fact]
    public void FlippedByte_InTheData_GivesContentHashMismatch()
    {
        using var dir = new TempFolder();
        var path = dir.File("model.safetensors");
        WriteEveryDType(path, seed: 112);
        var full = File.ReadAllBytes(path);
        long dataStart = SafeTensorsFile.ReadHeader(path).DataStart;
        var rng = new Random(112);
        foreach (long i in new[] { dataStart, full.Length - 1 }.Concat(Enumerable.Range(0, 8).Select(_ => rng.NextInt64(dataStart, full.Length))))
        {
            var copy = (byte[])full.Clone();
            copy[i] ^= (byte)(1 << rng.Next(8));
            File.WriteAllBytes(path, copy);
            var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Read(path));
            Assert.Matches(@"content hash mismatch \(stored [0-9a-f]{64}, computed [0-9a-f]{64}\): the file is corrupted", e.Message);
        }
    }

    [Fact]
    public void FileWithoutHash_LoadsUnverified()
    {
        using var dir = new TempFolder();
        var path = dir.File("nohash.safetensors");
        WriteEveryDType(path, seed: 113, addHash: false);
        var content = SafeTensorsFile.Read(path);
        Assert.False(content.HashVerified);
        Assert.False(content.Metadata.ContainsKey(SafeTensorsFile.HashMetadataKey));
    }

    /// <summary>Writes a file with the given header JSON and data length (zero bytes), no hash.</summary>
    private static string WriteRaw(TempFolder dir, string json, int dataLength)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        var path = dir.File("raw.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "tensors 'a' [0, 8] and 'b' [4, 12] overlap")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", 16, "data section bytes [8, 12) belong to no tensor")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 10, "2 trailing bytes belong to no tensor")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "hold 8 bytes, but dtype F32 and shape (3) need 12")]
    [InlineData("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2, "dtype \"F8_E4M3\", which is not supported")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16, "names 'a' twice")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "shape entry -2, not a non-negative integer")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "not integers 0 <= begin <= end")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "no \"data_offsets\"")]
    [InlineData("{\"__metadata__\":{\"k\":1}}", 0, "entry 'k' is a Number, not a string")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "header is not valid JSON")]
    [InlineData("[1, 2, 3]", 0, "header does not start with '{'")]
    public void MalformedHeader_GivesItsOwnError(string json, int dataLength, string expected)
    {
        using var dir = new TempFolder();
        var path = WriteRaw(dir, json, dataLength);
        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Read(path));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith(path + ": ", e.Message);
    }

    [Fact]
    public void HugeHeaderLength_IsRefusedBeforeAllocating()
    {
        using var dir = new TempFolder();
        var path = dir.File("huge.safetensors");
        var bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1UL << 40);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Read(path));
        Assert.Contains("over the 100000000-byte limit", e.Message);
    }

    [Fact]
    public void MissingFile_GivesCannotOpen()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Read(dir.File("nope.safetensors")));
        Assert.Contains("cannot open", e.Message);
    }
}
