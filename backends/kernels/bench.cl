/*
 * bench.cl - OpenCL C kernels for the quick capability probe in
 * be_opencl.c (be_cl_bench).  Embedded as text at configure time and built
 * by the driver at run time, so it sticks to OpenCL C 1.2 and uses no
 * extension.
 *
 * be_read streams a buffer, which is what decoding a model does with its
 * weights (every byte read once per token, almost nothing written): work
 * item g sums BE_READ_SPAN uint4 elements one grid apart (g, g + G, g + 2G,
 * ...), so at every step adjacent work items read adjacent elements (a GPU
 * coalesces them, PoCL vectorises them), and writes one uint - 1/256 of
 * what it read.  The sums are exact (uint wrap-around), so the host
 * checks them: a kernel that skipped its reads cannot report a figure.
 * The host counts the bytes read.
 *
 * be_fma measures fp32 FMA throughput.  A single dependent chain would
 * measure FMA latency, so every work item runs eight independent float16
 * chains (128 lanes).  PoCL does not vectorise across work items around a
 * loop, so the width has to be in the kernel: on a two-port AVX-512 CPU
 * eight 16-wide chains are what covers the FMA latency (float4 chains
 * reached a fifth of that, four float16 chains half).  A GPU splits the
 * vectors into 128 independent scalar chains, about 130 registers per
 * work item: below the 255 at which NVIDIA spills.  b and c come in as arguments so the compiler
 * cannot fold the loop, and the final sum is written out so it cannot be
 * dropped.  fma() is correctly rounded by the spec, so the host replays a
 * work item with fmaf() and checks the result: a broken kernel cannot
 * report a figure.  The lanes are summed in a fixed scalar order for the
 * same reason.  (A kernel named "mad" would collide with a PoCL built-in.)
 */

#define BE_READ_SPAN	16

__kernel void
be_read(__global const uint4 *src, __global uint *out)
{
	size_t	g = get_global_id(0), n = get_global_size(0);
	uint4	acc = (uint4)(0u);
	uint	k;

	for (k = 0; k < BE_READ_SPAN; k++)
		acc += src[g + (size_t)k * n];
	out[g] = acc.x + acc.y + acc.z + acc.w;
}

/*
 * Start value of lane l of chain k in work item g: small dyadic numbers,
 * so the host can rebuild them exactly, and different in every lane, so
 * the compiler cannot prove a vector is a splat and shrink it to a scalar.
 */
#define BE_SEED(g, k)	((float16)(1.5f) + (float16)(0.0f, 1.0f, 2.0f, 3.0f, \
			    4.0f, 5.0f, 6.0f, 7.0f, 8.0f, 9.0f, 10.0f, 11.0f, \
			    12.0f, 13.0f, 14.0f, 15.0f) * 0.0078125f + \
			    (float)(k) * 0.0625f + (float)((g) & 15u) * 0.03125f)

/* Sum of the 16 lanes by halves; the host replays this exact order. */
static float
be_sum16(float16 x)
{
	float8	a = x.lo + x.hi;
	float4	b = a.lo + a.hi;
	float2	c = b.lo + b.hi;

	return c.x + c.y;
}

__kernel void
be_fma(__global float *out, float b, float c, uint iters)
{
	uint	g = (uint)get_global_id(0);
	float16	vb = (float16)(b), vc = (float16)(c);
	float16	x0 = BE_SEED(g, 0), x1 = BE_SEED(g, 1);
	float16	x2 = BE_SEED(g, 2), x3 = BE_SEED(g, 3);
	float16	x4 = BE_SEED(g, 4), x5 = BE_SEED(g, 5);
	float16	x6 = BE_SEED(g, 6), x7 = BE_SEED(g, 7);
	uint	i;
	float	s;

	for (i = 0; i < iters; i++) {
		x0 = fma(x0, vb, vc);
		x1 = fma(x1, vb, vc);
		x2 = fma(x2, vb, vc);
		x3 = fma(x3, vb, vc);
		x4 = fma(x4, vb, vc);
		x5 = fma(x5, vb, vc);
		x6 = fma(x6, vb, vc);
		x7 = fma(x7, vb, vc);
	}
	s = be_sum16(x0);
	s += be_sum16(x1);
	s += be_sum16(x2);
	s += be_sum16(x3);
	s += be_sum16(x4);
	s += be_sum16(x5);
	s += be_sum16(x6);
	s += be_sum16(x7);
	out[g] = s;
}
