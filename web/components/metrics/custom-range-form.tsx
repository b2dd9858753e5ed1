'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { useForm } from 'react-hook-form';
import { Button } from '../ui/button';
import { Input } from '../ui/field';
import type { DateRange } from './range';
import { customRangeSchema, type CustomRangeValues } from './schemas';

/** Chooses a custom range of calendar dates (both included), in the organization's time zone. */
export function CustomRangeForm({ initial, onApply }: { initial: DateRange; onApply: (range: DateRange) => void }) {
  const {
    register,
    handleSubmit,
    formState: { errors },
  } = useForm<CustomRangeValues, unknown, CustomRangeValues>({
    resolver: zodResolver(customRangeSchema),
    defaultValues: initial,
  });

  return (
    <form
      onSubmit={handleSubmit((values) => onApply(values))}
      noValidate
      aria-label="Custom range"
      className="grid gap-3 sm:grid-cols-[1fr_1fr_auto] sm:items-start"
    >
      <Input type="date" label="From" error={errors.from?.message} {...register('from')} />
      <Input type="date" label="To" error={errors.to?.message} {...register('to')} />
      <Button type="submit" variant="secondary" className="sm:mt-6">
        Apply dates
      </Button>
    </form>
  );
}
