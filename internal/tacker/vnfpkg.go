package tacker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gophercloud/gophercloud/v2"
)

// The states of a VNF package (ETSI SOL005 9.5.4).
const (
	OnboardingCreated    = "CREATED"
	OnboardingUploading  = "UPLOADING"
	OnboardingProcessing = "PROCESSING"
	OnboardingOnboarded  = "ONBOARDED"

	OperationalEnabled  = "ENABLED"
	OperationalDisabled = "DISABLED"
)

// VnfPackage is Tacker's VnfPkgInfo. The VNFD's facts (vnfdId, provider,
// product, versions) are empty until the package is ONBOARDED.
type VnfPackage struct {
	ID                 string         `json:"id"`
	VnfdID             string         `json:"vnfdId,omitempty"`
	VnfProvider        string         `json:"vnfProvider,omitempty"`
	VnfProductName     string         `json:"vnfProductName,omitempty"`
	VnfSoftwareVersion string         `json:"vnfSoftwareVersion,omitempty"`
	VnfdVersion        string         `json:"vnfdVersion,omitempty"`
	OnboardingState    string         `json:"onboardingState"`
	OperationalState   string         `json:"operationalState"`
	UsageState         string         `json:"usageState"`
	UserDefinedData    map[string]any `json:"userDefinedData,omitempty"`
}

// OnboardingError is a package that Tacker did not onboard. Tacker answers
// every upload with 202 and validates in its conductor, which on failure
// puts the package back to CREATED and writes the reason only to its log.
type OnboardingError struct {
	PackageID string
	State     string        // the last onboardingState seen
	After     time.Duration // set when time ran out rather than Tacker refusing
}

func (e *OnboardingError) Error() string {
	if e.After > 0 {
		return fmt.Sprintf("tacker: VNF package %s still %s after %s: its onboarding did not finish; "+
			"the tacker-conductor log says what it is doing", e.PackageID, e.State, e.After)
	}
	return fmt.Sprintf("tacker: VNF package %s went back to onboardingState CREATED after the upload: "+
		"Tacker refused the package (a TOSCA import or an artifact hash that does not match, a vnfdId "+
		"already onboarded...); the reason is only in the tacker-conductor log", e.PackageID)
}

func (c *Client) pkgURL(parts ...string) string {
	return c.sc.ServiceURL(append([]string{"vnfpkgm", "v1", "vnf_packages"}, parts...)...)
}

// The body of POST /vnfpkgm/v1/vnf_packages: the schema allows nothing else
// (tacker/api/schemas/vnf_packages.py, additionalProperties false).
type createPackageBody struct {
	UserDefinedData map[string]string `json:"userDefinedData,omitempty"`
}

// CreateVnfPackage creates an empty package (POST /vnfpkgm/v1/vnf_packages),
// CREATED and DISABLED.
func (c *Client) CreateVnfPackage(ctx context.Context, userDefinedData map[string]string) (*VnfPackage, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var out VnfPackage
	_, err := c.sc.Post(ctx, c.pkgURL(), createPackageBody{UserDefinedData: userDefinedData}, &out,
		&gophercloud.RequestOpts{OkCodes: []int{http.StatusCreated}})
	if err != nil {
		return nil, apiError("create VNF package", err)
	}
	return &out, nil
}

// UploadVnfPackageContent sends the CSAR (PUT .../package_content as
// application/zip). Tacker accepts it with 202 whatever it holds.
func (c *Client) UploadVnfPackageContent(ctx context.Context, id string, csar []byte) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := c.sc.Put(ctx, c.pkgURL(id, "package_content"), bytes.NewReader(csar), nil, &gophercloud.RequestOpts{
		MoreHeaders: map[string]string{"Content-Type": "application/zip"},
		OkCodes:     []int{http.StatusAccepted},
	})
	if err != nil {
		return apiError("upload VNF package "+id, err)
	}
	return nil
}

// GetVnfPackage reads a package; an unknown id is ErrNotFound.
func (c *Client) GetVnfPackage(ctx context.Context, id string) (*VnfPackage, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var out VnfPackage
	_, err := c.sc.Get(ctx, c.pkgURL(id), &out, &gophercloud.RequestOpts{OkCodes: []int{http.StatusOK}})
	if err != nil {
		return nil, apiError("read VNF package "+id, err)
	}
	return &out, nil
}

// SetVnfPackageOperationalState enables or disables an ONBOARDED package
// (PATCH, the VnfPkgInfoModifications body).
func (c *Client) SetVnfPackageOperationalState(ctx context.Context, id, state string) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := c.sc.Patch(ctx, c.pkgURL(id), map[string]string{"operationalState": state}, nil,
		&gophercloud.RequestOpts{OkCodes: []int{http.StatusOK}})
	if err != nil {
		return apiError(fmt.Sprintf("set VNF package %s %s", id, state), err)
	}
	return nil
}

// DeleteVnfPackage deletes a package, which Tacker allows only when it is
// DISABLED and NOT_IN_USE; an unknown id is ErrNotFound.
func (c *Client) DeleteVnfPackage(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := c.sc.Delete(ctx, c.pkgURL(id), &gophercloud.RequestOpts{OkCodes: []int{http.StatusNoContent}})
	if err != nil {
		return apiError("delete VNF package "+id, err)
	}
	return nil
}

// WaitOnboarded polls the package until it is ONBOARDED. Back to CREATED,
// or still uploading or processing when time is up, is an *OnboardingError.
func (c *Client) WaitOnboarded(ctx context.Context, id string) (*VnfPackage, error) {
	var last *VnfPackage
	var lastErr error
	start := time.Now()
	err := c.waitFor(ctx, c.poll.Onboarding, func(ctx context.Context) (bool, error) {
		pkg, err := c.GetVnfPackage(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return false, err
		}
		if err != nil {
			lastErr = err // a hiccup of the API: try again until time is up
			return false, nil
		}
		last = pkg
		switch pkg.OnboardingState {
		case OnboardingOnboarded:
			return true, nil
		case OnboardingCreated:
			return false, &OnboardingError{PackageID: id, State: pkg.OnboardingState}
		}
		return false, nil
	})
	if errors.Is(err, errWaitTimeout) {
		switch {
		case last != nil:
			return nil, &OnboardingError{PackageID: id, State: last.OnboardingState, After: elapsed(start)}
		case lastErr != nil:
			return nil, lastErr
		}
	}
	if err != nil {
		return nil, err
	}
	return last, nil
}

// OnboardVnfPackage creates a package, uploads the CSAR and waits until
// Tacker has onboarded it. A package Tacker refuses is deleted again, so
// that a corrected CSAR can be onboarded under the same vnfdId.
func (c *Client) OnboardVnfPackage(ctx context.Context, userDefinedData map[string]string, csar []byte) (*VnfPackage, error) {
	pkg, err := c.CreateVnfPackage(ctx, userDefinedData)
	if err != nil {
		return nil, err
	}
	err = c.UploadVnfPackageContent(ctx, pkg.ID, csar)
	var onboarded *VnfPackage
	if err == nil {
		if onboarded, err = c.WaitOnboarded(ctx, pkg.ID); err == nil {
			return onboarded, nil
		}
	}
	// A package still processing is DISABLED and not in use: Tacker lets
	// it go too.
	if derr := c.DeleteVnfPackage(context.WithoutCancel(ctx), pkg.ID); derr != nil && !errors.Is(derr, ErrNotFound) {
		return nil, fmt.Errorf("%w; the package could not be deleted afterwards: %v", err, derr)
	}
	return nil, err
}

// RemoveVnfPackage disables the package if it is enabled, then deletes it.
// One already gone is ErrNotFound.
func (c *Client) RemoveVnfPackage(ctx context.Context, id string) error {
	pkg, err := c.GetVnfPackage(ctx, id)
	if err != nil {
		return err
	}
	if pkg.OperationalState == OperationalEnabled {
		if err := c.SetVnfPackageOperationalState(ctx, id, OperationalDisabled); err != nil {
			return err
		}
	}
	return c.DeleteVnfPackage(ctx, id)
}
