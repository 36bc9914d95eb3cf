/*
 * fma.comp - fp32 FMA throughput probe.  Each invocation runs 32
 * INDEPENDENT recurrences x = fma(x, m, c) (eight vec4 accumulators), so
 * the hardware can overlap them; a single dependent chain would measure
 * FMA latency instead.  m and c come from push constants so the compiler
 * cannot fold the loop, and the loop body is unrolled four times to keep
 * loop overhead small.  Flops per invocation: iters * 4 * 32 * 2.
 *
 * The result (sum of all accumulators) goes to binding 1 so the host can
 * recompute a few invocations and reject a shader that did not do the work.
 * Starting values depend on the invocation id: x_j = (id & 255) * 0.01 + j.
 */
#version 450

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 1) writeonly buffer Out {
	float	outv[];
};
layout(push_constant) uniform Params {
	uint	n;
	uint	iters;
	float	m;
	float	c;
} p;

#define STEP() \
	a0 = fma(a0, vm, vc); a1 = fma(a1, vm, vc); \
	a2 = fma(a2, vm, vc); a3 = fma(a3, vm, vc); \
	a4 = fma(a4, vm, vc); a5 = fma(a5, vm, vc); \
	a6 = fma(a6, vm, vc); a7 = fma(a7, vm, vc)

void
main()
{
	uint	g = gl_GlobalInvocationID.x;
	float	b = float(g & 255u) * 0.01;
	vec4	vm = vec4(p.m);
	vec4	vc = vec4(p.c);
	vec4	a0 = vec4(b) + vec4(0.0, 1.0, 2.0, 3.0);
	vec4	a1 = a0 + vec4(4.0);
	vec4	a2 = a0 + vec4(8.0);
	vec4	a3 = a0 + vec4(12.0);
	vec4	a4 = a0 + vec4(16.0);
	vec4	a5 = a0 + vec4(20.0);
	vec4	a6 = a0 + vec4(24.0);
	vec4	a7 = a0 + vec4(28.0);
	uint	k;
	vec4	s;

	if (g >= p.n)
		return;
	for (k = 0u; k < p.iters; k++) {
		STEP();
		STEP();
		STEP();
		STEP();
	}
	s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
	outv[g] = (s.x + s.y) + (s.z + s.w);
}
