package provider

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/tacker-cilium/tacker-cilium/internal/tacker"
)

// VnfPackage is a CSAR onboarded in Tacker (tacker:index:VnfPackage).
type VnfPackage struct{}

// VnfPackageArgs are the inputs. Every change replaces the package: Tacker
// cannot change a package's content, nor remove user data from it.
type VnfPackageArgs struct {
	Content         string            `pulumi:"content" provider:"replaceOnChanges"`
	ContentHash     string            `pulumi:"contentHash" provider:"replaceOnChanges"`
	UserDefinedData map[string]string `pulumi:"userDefinedData,optional" provider:"replaceOnChanges"`
}

// VnfPackageState is what Pulumi keeps: the inputs and what Tacker read
// from the VNFD.
type VnfPackageState struct {
	VnfPackageArgs
	VnfdID           string `pulumi:"vnfdId"`
	OnboardingState  string `pulumi:"onboardingState"`
	OperationalState string `pulumi:"operationalState"`
	VnfProductName   string `pulumi:"vnfProductName"`
	VnfdVersion      string `pulumi:"vnfdVersion"`
}

// Annotate documents the resource and sets its token.
func (v *VnfPackage) Annotate(a infer.Annotator) {
	a.SetToken("index", "VnfPackage")
	a.Describe(&v, "A VNF package (CSAR) onboarded in Tacker: created, uploaded (PUT package_content) and waited on "+
		"until ONBOARDED. Tacker answers every upload with 202 and validates in its conductor: a package it refuses "+
		"falls back to CREATED with the reason only in the tacker-conductor log, which the error says; the refused "+
		"package is deleted again. Any change replaces the package, the old one disabled and deleted first, because "+
		"Tacker onboards one package per vnfdId; the VnfInstances built from it are replaced with it.")
}

// Annotate documents the inputs.
func (a *VnfPackageArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Content, "The CSAR zip, base64-encoded (standard alphabet, padded).")
	an.Describe(&a.ContentHash, "SHA-256 of the CSAR (of the zip, not of its base64), 64 lowercase hex digits: "+
		"what tells Pulumi the content changed without comparing it. A change replaces the package.")
	an.Describe(&a.UserDefinedData, "userDefinedData of the package: keys of letters, digits and '-_:. /', values of at most 255 characters.")
}

// Annotate documents the outputs.
func (s *VnfPackageState) Annotate(a infer.Annotator) {
	a.Describe(&s.VnfdID, "The VNFD's descriptor_id: what a VnfInstance's vnfdId names.")
	a.Describe(&s.OnboardingState, "ONBOARDED once created; a refresh that finds anything else replaces the package on the next update.")
	a.Describe(&s.OperationalState, "ENABLED or DISABLED; Tacker creates instances only of an ENABLED package.")
	a.Describe(&s.VnfProductName, "The VNFD's product_name.")
	a.Describe(&s.VnfdVersion, "The VNFD's descriptor_version.")
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Check refuses bad input before any call to Tacker. Content not yet
// known at preview is checked when it is.
func (*VnfPackage) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[VnfPackageArgs], error) {
	args, failures, err := infer.DefaultCheck[VnfPackageArgs](ctx, req.NewInputs)
	if err != nil {
		return infer.CheckResponse[VnfPackageArgs]{}, err
	}
	fail := func(prop, format string, a ...any) {
		failures = append(failures, p.CheckFailure{Property: prop, Reason: fmt.Sprintf(format, a...)})
	}
	known := func(k string) bool {
		v, ok := req.NewInputs.GetOk(k)
		return ok && !v.IsComputed()
	}

	hashOK := false
	if known("contentHash") {
		if hashOK = sha256Hex.MatchString(args.ContentHash); !hashOK {
			fail("contentHash", "contentHash %q is not a SHA-256: give 64 lowercase hex digits, as sha256sum prints them", args.ContentHash)
		}
	}
	if known("content") {
		csar, err := base64.StdEncoding.DecodeString(args.Content)
		switch {
		case args.Content == "":
			fail("content", "content is empty: give the CSAR zip, base64-encoded")
		case err != nil:
			fail("content", "content is not base64 (standard alphabet, padded): %v", err)
		default:
			if _, err := zip.NewReader(bytes.NewReader(csar), int64(len(csar))); err != nil {
				fail("content", "content is not a zip archive, which a CSAR is: %v", err)
			}
			sum := sha256.Sum256(csar)
			if got := hex.EncodeToString(sum[:]); hashOK && got != args.ContentHash {
				fail("contentHash", "contentHash %s is not the SHA-256 of content, which is %s", args.ContentHash, got)
			}
		}
	}
	if known("userDefinedData") {
		data := map[string]any{}
		for k, v := range args.UserDefinedData {
			data[k] = v
		}
		if key, reason := tacker.KeyValueProblem(data); reason != "" {
			fail("userDefinedData", "userDefinedData[%q]: %s", key, reason)
		}
	}
	return infer.CheckResponse[VnfPackageArgs]{Inputs: args, Failures: failures}, nil
}

func packageState(in VnfPackageArgs, pkg *tacker.VnfPackage) VnfPackageState {
	return VnfPackageState{
		VnfPackageArgs: in, VnfdID: pkg.VnfdID, OnboardingState: pkg.OnboardingState,
		OperationalState: pkg.OperationalState, VnfProductName: pkg.VnfProductName, VnfdVersion: pkg.VnfdVersion,
	}
}

// Create onboards the package and waits until Tacker has.
func (*VnfPackage) Create(ctx context.Context, req infer.CreateRequest[VnfPackageArgs]) (infer.CreateResponse[VnfPackageState], error) {
	if req.DryRun {
		return infer.CreateResponse[VnfPackageState]{Output: VnfPackageState{VnfPackageArgs: req.Inputs}}, nil
	}
	csar, err := base64.StdEncoding.DecodeString(req.Inputs.Content)
	if err != nil {
		return infer.CreateResponse[VnfPackageState]{}, fmt.Errorf("content: %w", err)
	}
	c, err := infer.GetConfig[Config](ctx).client(ctx)
	if err != nil {
		return infer.CreateResponse[VnfPackageState]{}, err
	}
	pkg, err := c.OnboardVnfPackage(ctx, req.Inputs.UserDefinedData, csar)
	if err != nil {
		return infer.CreateResponse[VnfPackageState]{}, err
	}
	return infer.CreateResponse[VnfPackageState]{ID: pkg.ID, Output: packageState(req.Inputs, pkg)}, nil
}

// Read is the refresh. A package Tacker no longer knows leaves the state;
// one no longer ONBOARDED loses its contentHash input, so that the next
// update onboards the content again.
func (*VnfPackage) Read(ctx context.Context, req infer.ReadRequest[VnfPackageArgs, VnfPackageState]) (infer.ReadResponse[VnfPackageArgs, VnfPackageState], error) {
	c, err := infer.GetConfig[Config](ctx).client(ctx)
	if err != nil {
		return infer.ReadResponse[VnfPackageArgs, VnfPackageState]{}, err
	}
	pkg, err := c.GetVnfPackage(ctx, req.ID)
	if errors.Is(err, tacker.ErrNotFound) {
		return infer.ReadResponse[VnfPackageArgs, VnfPackageState]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[VnfPackageArgs, VnfPackageState]{}, err
	}
	in := req.Inputs
	if in.ContentHash == "" {
		in = req.State.VnfPackageArgs
	}
	if pkg.OnboardingState != tacker.OnboardingOnboarded {
		in.ContentHash = ""
	}
	s := packageState(in, pkg)
	return infer.ReadResponse[VnfPackageArgs, VnfPackageState]{ID: pkg.ID, Inputs: in, State: s}, nil
}

// Delete disables the package and deletes it; one already gone is fine.
// Tacker refuses while an instance of its VNFD exists, and says so.
func (*VnfPackage) Delete(ctx context.Context, req infer.DeleteRequest[VnfPackageState]) (infer.DeleteResponse, error) {
	c, err := infer.GetConfig[Config](ctx).client(ctx)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	if err := c.RemoveVnfPackage(ctx, req.ID); err != nil && !errors.Is(err, tacker.ErrNotFound) {
		return infer.DeleteResponse{}, err
	}
	return infer.DeleteResponse{}, nil
}
