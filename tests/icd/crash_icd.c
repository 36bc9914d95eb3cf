/*
 * crash_icd.c - a deliberately broken GPU driver, for tests only.
 *
 * It exports the entry points the Vulkan loader and the OpenCL ICD loader
 * look for first, and each one crashes.  Pointing VK_DRIVER_FILES or
 * OCL_ICD_VENDORS at it reproduces "a broken ICD": `exogpu devices` must
 * lose that API's answer (logged with the signal) and still answer.
 */
#include <signal.h>
#include <stddef.h>

int	vk_icdNegotiateLoaderICDInterfaceVersion(unsigned *);
void	*vk_icdGetInstanceProcAddr(void *, const char *);
int	clIcdGetPlatformIDsKHR(unsigned, void **, unsigned *);
void	*clGetExtensionFunctionAddress(const char *);

static void
crash(void)
{
	(void)raise(SIGSEGV);
}

int
vk_icdNegotiateLoaderICDInterfaceVersion(unsigned *version)
{
	crash();
	return 0;
}

void *
vk_icdGetInstanceProcAddr(void *instance, const char *name)
{
	crash();
	return NULL;
}

int
clIcdGetPlatformIDsKHR(unsigned n, void **platforms, unsigned *count)
{
	crash();
	return 0;
}

void *
clGetExtensionFunctionAddress(const char *name)
{
	crash();
	return NULL;
}
