# sparse_gguf.py OUT N_LAYER N_EMBD N_FF N_HEAD N_HEAD_KV VOCAB
#
# Writes a Llama-shaped GGUF (version 3) whose tensors are q8_0 matrices
# and f32 norms, with a real header and a data section that is a hole:
# the file is truncated to its full size, so it takes a few kilobytes of
# disk however big the model it declares.  Enough for exogpu's GGUF
# reader (header and extents) and for tests that place big models on
# small machines; llama.cpp would load zeros.  Standard library only.
import struct
import sys

out = sys.argv[1]
L, E, FF, H, HKV, V = (int(a) for a in sys.argv[2:8])
ALIGN = 32
Q8_0, F32 = 8, 0


def s(x):
    b = x.encode()
    return struct.pack("<Q", len(b)) + b


kv = [("general.architecture", 8, s("llama")),
      ("general.name", 8, s("sparse-llama-%dL" % L)),
      ("llama.block_count", 4, struct.pack("<I", L)),
      ("llama.context_length", 4, struct.pack("<I", 4096)),
      ("llama.embedding_length", 4, struct.pack("<I", E)),
      ("llama.feed_forward_length", 4, struct.pack("<I", FF)),
      ("llama.attention.head_count", 4, struct.pack("<I", H)),
      ("llama.attention.head_count_kv", 4, struct.pack("<I", HKV)),
      ("llama.vocab_size", 4, struct.pack("<I", V)),
      ("general.alignment", 4, struct.pack("<I", ALIGN))]
hd = E // H
tensors = [("token_embd.weight", [E, V], Q8_0)]
for i in range(L):
    p = "blk.%d." % i
    tensors += [(p + "attn_norm.weight", [E], F32),
                (p + "attn_q.weight", [E, E], Q8_0),
                (p + "attn_k.weight", [E, HKV * hd], Q8_0),
                (p + "attn_v.weight", [E, HKV * hd], Q8_0),
                (p + "attn_output.weight", [E, E], Q8_0),
                (p + "ffn_norm.weight", [E], F32),
                (p + "ffn_gate.weight", [E, FF], Q8_0),
                (p + "ffn_up.weight", [E, FF], Q8_0),
                (p + "ffn_down.weight", [FF, E], Q8_0)]
tensors += [("output_norm.weight", [E], F32),
            ("output.weight", [E, V], Q8_0)]


def nbytes(dims, t):
    n = 1
    for d in dims:
        n *= d
    return n * 4 if t == F32 else n // 32 * 34


head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv))
for k, t, v in kv:
    head += s(k) + struct.pack("<I", t) + v
off = 0
for name, dims, t in tensors:
    head += s(name) + struct.pack("<I", len(dims))
    head += b"".join(struct.pack("<Q", d) for d in dims)
    head += struct.pack("<IQ", t, off)
    off += (nbytes(dims, t) + ALIGN - 1) // ALIGN * ALIGN
head += b"\0" * ((ALIGN - len(head) % ALIGN) % ALIGN)
with open(out, "wb") as f:
    f.write(head)
    f.truncate(len(head) + off)
print(len(head) + off)
